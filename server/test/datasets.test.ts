import { randomUUID } from "node:crypto";
import { readFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../src/context.js";
import type { EngineProcess } from "../src/services/datasets-engine-process.js";
import { createDatasetService } from "../src/services/datasets-setup.js";
import { detectEncoding } from "../src/services/datasets-detect.js";
import { sampleOf } from "../src/services/datasets-sample.js";
import type { TColumnProfile } from "../src/services/datasets-types.js";
import { displayName, safeFileName } from "../src/services/datasets-store.js";
import { type TestCaller, callerFor, openTestApp } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";
import { listenWithFiles, makeFixtures, tree, upload } from "./helpers/datasets.js";

type User = TestCaller & { token: string; id: string };

describe("format and name helpers", () => {
  it("tells GBK from Latin-1 and honours byte-order marks", () => {
    const zh = "姓名,年龄\n张三,34\n";
    expect(detectEncoding(Buffer.from(new TextEncoder().encode(zh)))).toBe("utf-8");
    expect(detectEncoding(Buffer.from([0xd0, 0xd5, 0xc3, 0xfb, 0x2c, 0xc4, 0xea, 0xc1, 0xe4, 0x0a]))).toBe("gb18030"); // 姓名,年龄 in GBK
    expect(detectEncoding(Buffer.from("Name\nM\xfcller,K\xf6ln\nJos\xe9\n", "latin1"))).toBe("windows-1252");
    expect(detectEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toBe("utf-8-sig");
    expect(detectEncoding(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toBe("utf-16le");
  });

  it("keeps names as metadata only and makes safe file names of them", () => {
    expect(displayName("../../etc/passwd")).toBe("passwd");
    expect(displayName("C:\\Users\\x\\data.csv")).toBe("data.csv");
    expect(displayName("a\u0000b\u202e\u0007.csv")).toBe("ab.csv");
    expect(displayName("")).toBe("dataset");
    expect([...displayName("长".repeat(500))].length).toBe(200);
    expect(safeFileName("ｄａｔａ　２０２４.csv")).toBe("data_2024.csv"); // full-width look-alikes fold (NFKC)
    expect(safeFileName("../../etc/x")).toBe("etc_x");
    expect(safeFileName(".bashrc")).toBe("bashrc");
    expect(safeFileName("血压 数据(最终).xlsx")).toBe("血压_数据_最终_.xlsx");
    expect(safeFileName("x".repeat(300) + ".csv").length).toBe(114);
  });
});

describe.each(DATABASES)("datasets over HTTP and tRPC ($name)", ({ name }) => {
  let app: AppContext & { close(): Promise<void> };
  let home: string;
  let base: string;
  let stop: () => Promise<void>;
  let fx: Awaited<ReturnType<typeof makeFixtures>>;
  let alice: User;
  let bob: User;
  const defaults = { uploadMaxBytes: 0, quotaBytes: 0 };

  const register = async (): Promise<User> => {
    const anon = await callerFor(app);
    const { token, user } = await anon.caller.auth.register({ email: `ds-${randomUUID().slice(0, 8)}@example.org`, password: `pw-${randomUUID()}` });
    return { ...(await callerFor(app, { token })), token, id: user.id };
  };
  const put = async (u: User, file: string, as = file) => upload(base, u.token, as, await readFile(fx.file(file)));
  const store = (u: User) => path.join(app.config.datasets.dir, u.id);

  beforeAll(async () => {
    fx = await makeFixtures();
    home = await mkdtemp(path.join(os.tmpdir(), "lab-ds-"));
    app = await openTestApp(name);
    app.config.datasets = { ...app.config.datasets, dir: path.join(home, "datasets") };
    app.config.paths = { ...app.config.paths, workspaces: path.join(home, "workspaces") };
    Object.assign(defaults, app.config.datasets);
    app.services.datasets = await createDatasetService(app.db, app.config);
    ({ url: base, close: stop } = await listenWithFiles(app));
    alice = await register();
    bob = await register();
  });
  afterAll(async () => {
    await stop?.();
    await app?.services.datasets?.engine.close();
    await app?.close();
    await fx?.close();
    await rm(home, { recursive: true, force: true });
  });

  it.for([
    { file: "zh_utf8.csv", read: { encoding: "utf-8", delimiter: "," } },
    { file: "zh_gbk.csv", read: { encoding: "gb18030", delimiter: "," } },
    { file: "zh_bom.csv", read: { encoding: "utf-8-sig", delimiter: "," } },
  ])("reads $file with Chinese column names, whatever its encoding", async ({ file, read }) => {
    const { status, body } = await put(alice, file);
    expect(status).toBe(201);
    expect(body.dataset).toMatchObject({ name: file, format: "csv", read: { ...read, header: true, decimal: "." } });
    const p = await alice.caller.datasets.preview({ datasetId: body.dataset.id });
    expect(p.columns).toEqual([{ name: "姓名", type: "VARCHAR" }, { name: "性别", type: "VARCHAR" }, { name: "年龄", type: "BIGINT" }, { name: "收缩压", type: "BIGINT" }]);
    expect(p.rows).toEqual([["张三", "男", 34, 120], ["李四", "女", 45, 135], ["王五", "男", 61, 141]]);
  });

  it.for([
    { encoding: "utf-16le", bom: [0xff, 0xfe] },
    { encoding: "utf-16be", bom: [0xfe, 0xff] },
  ])("reads Excel's 'Unicode text' export ($encoding with a byte-order mark, tab-separated, CRLF)", async ({ encoding, bom }) => {
    const text = `姓名\t收缩压\r\n张三\t120\r\n李四\t135\r\n${encoding}\t1\r\n`;
    const le = Buffer.from(text, "utf16le");
    const body = Buffer.concat([Buffer.from(bom), encoding === "utf-16le" ? le : Buffer.from(le).swap16()]);
    const res = await upload(base, alice.token, `unicode-${encoding}.txt`, body);
    expect(res.status).toBe(201);
    expect(res.body.dataset).toMatchObject({ format: "csv", read: { encoding, delimiter: "\t", header: true } });
    const p = await alice.caller.datasets.preview({ datasetId: res.body.dataset.id });
    expect({ columns: p.columns.map((c) => c.name), rows: p.rows }).toEqual({ columns: ["姓名", "收缩压"], rows: [["张三", 120], ["李四", 135], [encoding, 1]] });
  });

  it("reads Latin-1, semicolon CSVs with decimal commas, TSV and ragged rows", async () => {
    const preview = async (file: string) => {
      const { body } = await put(alice, file);
      const p = await alice.caller.datasets.preview({ datasetId: body.dataset.id });
      return { read: body.dataset.read, columns: p.columns.map((c) => `${c.name}:${c.type}`), rows: p.rows };
    };
    expect(await preview("latin1.csv")).toMatchObject({ read: { encoding: "windows-1252" }, rows: [["Müller", "Köln", 1], ["José", "São Paulo", 2], ["Renée", "Genève", 3]] });
    expect(await preview("semicolon.csv")).toEqual({
      read: { format: "csv", encoding: "utf-8", delimiter: ";", quote: '"', header: true, decimal: "," },
      columns: ["Probe:VARCHAR", "Gewicht:DOUBLE", "Datum:DATE"],
      rows: [["A", 1.5, "2024-01-02"], ["B", 2.25, "2024-02-03"], ["C", null, "2024-03-04"]],
    });
    expect(await preview("tab.tsv")).toMatchObject({ read: { delimiter: "\t" }, rows: [[1, 0.5, "x"], [2, 1.5, "y"]] });
    expect(await preview("ragged.csv")).toMatchObject({ columns: ["a:BIGINT", "b:BIGINT", "c:BIGINT", "column3:BIGINT"], rows: [[1, 2, null, null], [3, 4, 5, 6], [7, 8, 9, null]] });
  });

  it("reads Parquet, JSON and JSON Lines", async () => {
    for (const [file, rows] of [
      ["data.parquet", [[1, "a", 0.5], [2, "b", 1.5], [3, null, 2.5]]],
      ["data.json", [[1, "a", true], [2, "b", false]]],
      ["data.jsonl", [[1, "a"], [2, "b"], [3, null]]],
    ] as const) {
      const { status, body } = await put(alice, file);
      expect(status).toBe(201);
      expect((await alice.caller.datasets.preview({ datasetId: body.dataset.id })).rows).toEqual(rows);
    }
  });

  it("lists every sheet of a workbook, .xlsx and legacy .xls, each selectable", async () => {
    const { body } = await put(alice, "multi.xlsx");
    expect(body.dataset.tables.map((t: { name: string }) => t.name)).toEqual(["血压", "Summary", "Empty"]);
    const id = body.dataset.id;
    expect(await alice.caller.datasets.preview({ datasetId: id })).toMatchObject({ table: "血压", sheets: ["血压", "Summary", "Empty"], rows: [["张三", 34, 120.5, "2024-01-02 00:00:00"], ["李四", 45, null, "2024-02-03 00:00:00"]] });
    expect((await alice.caller.datasets.preview({ datasetId: id, sheet: "Summary" })).rows).toEqual([["n", 2], ["m", 3]]);
    expect((await alice.caller.datasets.preview({ datasetId: id, sheet: "Empty" })).rows).toEqual([]);
    await expect(alice.caller.datasets.preview({ datasetId: id, sheet: "Nope" })).rejects.toThrow('No sheet named "Nope"; sheets: 血压, Summary, Empty');

    const xls = (await put(alice, "legacy.xls")).body.dataset;
    expect(xls).toMatchObject({ format: "xls", tables: [{ name: "患者" }, { name: "Notes" }] });
    expect((await alice.caller.datasets.preview({ datasetId: xls.id })).rows).toEqual([["张三", "男", 34, 120.5, "2024-01-02"], ["李四", "女", 45, null, "2024-02-03"], ["王五", "男", 61, 141, "2024-03-04"]]);
    expect((await alice.caller.datasets.preview({ datasetId: xls.id, sheet: "Notes" })).rows).toEqual([["source", "clinic A"]]);
  });

  it("reads a macro workbook's cells and never its macros", async () => {
    const { status, body } = await put(alice, "macro.xlsm");
    expect(status).toBe(201);
    expect(body.dataset).toMatchObject({ format: "xlsx", read: { macros: true }, warnings: ["The workbook contains macros: they were ignored (only cell values are read)"] });
    expect((await alice.caller.datasets.preview({ datasetId: body.dataset.id, sheet: "Summary" })).rows).toEqual([["n", 2], ["m", 3]]);
  });

  it("profiles every column: missing, distinct, min/max/mean/std, top values, histogram", async () => {
    const { body } = await put(alice, "stats.csv");
    const p = await alice.caller.datasets.profile({ datasetId: body.dataset.id });
    expect(p.rowCount).toBe(11);
    expect(p.columns[0]).toEqual({
      name: "g", type: "VARCHAR", kind: "text", missing: 0, distinct: 2, min: null, max: null, mean: null, std: null, q1: null, median: null, q3: null,
      top: [{ value: "b", count: 6 }, { value: "a", count: 5 }], histogram: [], estimated: false,
    });
    const x = p.columns[1]!;
    expect({ ...x, std: Number(x.std?.toFixed(4)), histogram: x.histogram.map((b) => b.count) }).toEqual({
      name: "x", type: "BIGINT", kind: "number", missing: 1, distinct: 10, min: 1, max: 10, mean: 5.5, std: 3.0277, q1: 3.25, median: 5.5, q3: 7.75,
      top: [], histogram: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], estimated: false,
    });
    // Kept: the second call reads the stored profile.
    expect(await alice.caller.datasets.profile({ datasetId: body.dataset.id })).toEqual(p);
  });

  it("profiles a large, sorted table: exact counts and top values, quartiles and bins estimated from rows spread over it", async () => {
    // 240,000 rows in file order: ids, a skewed measure with missing values, 12 wards in turn, and three
    // sites one after another (the first rows hold only the first site: a prefix would say so).
    const n = 240_000;
    const lines = ["id,value,ward,site"];
    for (let i = 0; i < n; i++) {
      lines.push(`${i},${i % 10 === 0 ? "" : ((i * 7919) % 1000) ** 2 / 1000},ward ${String(i % 12).padStart(2, "0")},site ${Math.floor((3 * i) / n)}`);
    }
    const { body } = await upload(base, alice.token, "large.csv", Buffer.from(`${lines.join("\n")}\n`));
    const p = await alice.caller.datasets.profile({ datasetId: (body.dataset as { id: string }).id });
    expect(p.rowCount).toBe(n);
    const [id, value, ward, site] = p.columns as [TColumnProfile, TColumnProfile, TColumnProfile, TColumnProfile];
    expect(id).toMatchObject({ min: 0, max: n - 1, missing: 0, estimated: true });
    const w = (n - 1) / 10;
    expect(id.histogram.map((b) => [b.from, b.to])).toEqual(Array.from({ length: 10 }, (_, k) => [k * w, k === 9 ? n - 1 : (k + 1) * w]));
    expect(id.histogram.reduce((s, b) => s + b.count, 0)).toBe(n); // scaled, yet adding up exactly
    for (const b of id.histogram) expect(Math.abs(b.count - n / 10)).toBeLessThan(n / 10 / 8);
    expect(Math.abs(id.median! - n / 2)).toBeLessThan(n / 40);
    // value = k²/1000 with k spread evenly over 1..999: a CDF of √(v/1000), so the first bin holds ~32% of values.
    expect(value).toMatchObject({ missing: n / 10, min: 0.001, max: 998.001, estimated: true });
    expect(value.histogram.reduce((s, b) => s + b.count, 0)).toBe(n - n / 10);
    expect(value.histogram[0]!.count / (n - n / 10)).toBeGreaterThan(0.27);
    expect(value.histogram[0]!.count / (n - n / 10)).toBeLessThan(0.37);
    expect(Math.abs(value.median! - 250)).toBeLessThan(30);
    // Few values, all counted over the whole file: exact distinct counts and top values, every site found.
    expect(ward).toMatchObject({ distinct: 12, top: Array.from({ length: 5 }, () => ({ count: n / 12 })) });
    expect(site).toMatchObject({ distinct: 3, top: [0, 1, 2].map(() => ({ count: n / 3 })) });
    expect(site.top.map((t) => t.value).sort()).toEqual(["site 0", "site 1", "site 2"]);
    // The sample was a scratch file: nothing is left behind.
    expect((await tree(path.join(app.config.datasets.dir, ".engine-tmp"))).filter((f) => f.includes("sample"))).toEqual([]);
  });

  it("samples a large CSV by slices, and falls back to its first rows when the slices cannot be read as the table", async () => {
    const dir = path.join(app.config.datasets.dir, ".engine-tmp");
    const file = path.join(dir, "slices.csv");
    await writeFile(file, `n,label\n${Array.from({ length: 600_000 }, (_, i) => `${i},row ${i}\n`).join("")}`);
    const read = { format: "csv", encoding: "utf-8", delimiter: ",", quote: '"', header: true, decimal: "." } as const;
    const { engine } = app.services.datasets;
    const sliced = await sampleOf(engine, file, read, [{ name: "n", type: "BIGINT" }, { name: "label", type: "VARCHAR" }], dir);
    const [min, max, rows] = (await engine.query(`SELECT min(n), max(n), count(*) FROM ${sliced.sql}`)).rows[0]!.map(Number);
    expect(rows).toBeGreaterThan(10_000);
    expect(rows).toBeLessThan(600_000);
    expect(min).toBe(0);
    expect(max).toBeGreaterThan(590_000); // the last slice reaches the end of the file
    await sliced.dispose();
    // Slices DuckDB refuses (here: a type it does not know): the first rows are used, nothing is left behind.
    const fallback = await sampleOf(engine, file, read, [{ name: "n", type: "NO_SUCH_TYPE" }], dir);
    expect(fallback.sql).toMatch(/LIMIT 100000\)$/);
    expect((await tree(dir)).filter((f) => f.startsWith("sample"))).toEqual([]);
    await rm(file);
  });

  it.for([
    ["empty.csv", "The file is empty"],
    ["blank.csv", "The file holds only blank lines"],
    ["png.csv", "The file is a PNG image, not a table"],
    ["bomb.xlsx", "A workbook part (xl/media/zeros.bin) has a compression ratio of 1029:1 (limit 200:1): refused as a possible zip bomb"],
    ["declared_huge.xlsx", "The workbook would inflate to more than 1024 MB (limit): refused as a possible zip bomb"],
    ["laughs.xlsx", "The workbook's XML declares entities (a 'billion laughs' attack?): refused"],
    ["encrypted.xlsx", "The workbook is password-protected: remove the password in Excel and upload it again"],
    ["truncated.xlsx", "The workbook is truncated or not a zip file (no end of central directory)"],
    ["truncated.parquet", "The Parquet file is truncated (no footer)"],
    ["plain.zip.xlsx", "The file is a zip archive, not an Excel workbook"],
  ])("refuses %s with a message naming the problem, leaving nothing behind", async ([file, message]) => {
    const { status, body } = await put(bob, file!);
    expect({ status, message: body.error.message }).toEqual({ status: 400, message });
    expect(await tree(store(bob))).toEqual([]);
    expect((await bob.caller.datasets.list()).datasets).toEqual([]);
  });

  it("refuses a 1 GB single-line file with a bounded error, streaming it without holding it", async () => {
    const chunk = Buffer.alloc(1 << 20, "x");
    let sent = 0;
    const body = new ReadableStream({
      pull(c) {
        if (sent === 0) c.enqueue(Buffer.from("a,b\n"));
        if (sent >= 1024) return c.close();
        sent++;
        c.enqueue(chunk);
      },
    });
    const rss = process.memoryUsage().rss;
    const res = await upload(base, bob.token, "one-line.csv", body);
    expect(res).toEqual({ status: 400, body: { error: { message: "A line of the file is 1024.0 MB long (limit 2.0 MB): not a table, or not line-separated", code: -32600, data: { code: "BAD_REQUEST", httpStatus: 400 } } } });
    expect(process.memoryUsage().rss - rss).toBeLessThan(300 * 1024 * 1024);
    expect(await tree(store(bob))).toEqual([]);
  }, 180_000);

  it("stops an upload past the size limit while it streams, and one past the quota", async () => {
    try {
      app.config.datasets.uploadMaxBytes = 100;
      const res = await upload(base, bob.token, "big.csv", "a,b\n" + "1,2\n".repeat(1000));
      expect({ status: res.status, message: res.body.error.message }).toEqual({ status: 413, message: "The file is larger than the upload limit of 0.0 MB" });
      app.config.datasets.uploadMaxBytes = defaults.uploadMaxBytes;
      app.config.datasets.quotaBytes = 150;
      expect((await put(bob, "zh_utf8.csv")).status).toBe(201);
      const over = await put(bob, "semicolon.csv");
      expect({ status: over.status, message: over.body.error.message }).toEqual({ status: 413, message: "Storage quota exceeded: 0.0 MB of 0.0 MB used; delete datasets to make room" });
    } finally {
      Object.assign(app.config.datasets, defaults);
    }
    expect((await bob.caller.datasets.list()).datasets.map((d) => d.name)).toEqual(["zh_utf8.csv"]);
    expect((await tree(store(bob))).filter((f) => f.includes(".incoming"))).toEqual([]);
  });

  it("deletes a cancelled upload's partial file", async () => {
    const ctl = new AbortController();
    let n = 0;
    const body = new ReadableStream({
      async pull(c) {
        if (n++ === 20) { ctl.abort(); return; }
        c.enqueue(Buffer.alloc(64 * 1024, "1,2\n"));
        await new Promise((r) => setTimeout(r, 10));
      },
    });
    await expect(fetch(`${base}/api/datasets?name=x.csv`, { method: "POST", headers: { "content-type": "application/octet-stream", authorization: `Bearer ${bob.token}` }, body, duplex: "half", signal: ctl.signal } as RequestInit)).rejects.toThrow();
    for (let i = 0; i < 50 && (await tree(store(bob))).some((f) => f.includes(".incoming")); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await tree(store(bob))).filter((f) => f.includes(".incoming"))).toEqual([]);
  });

  it("stores the same bytes once per user, and separately for another user", async () => {
    const first = await put(alice, "tab.tsv", "again.tsv");
    expect(first.status).toBe(200);
    expect(first.body.deduplicated).toBe(true);
    expect(first.body.dataset.name).toBe("tab.tsv");
    const other = await put(bob, "tab.tsv");
    expect(other.status).toBe(201);
    expect(other.body.dataset.id).not.toBe(first.body.dataset.id);
  });

  it("accepts hostile names as metadata only: stored under a generated id, sanitised on download", async () => {
    const csv = await readFile(fx.file("stats.csv"));
    const names = [["../../etc/x.csv", "x.csv"], ["/abs/path/y.csv", "y.csv"], ["a\u0000b\u202e.csv", "ab.csv"], ["ｄａｔａ.csv", "ｄａｔａ.csv"], ["長".repeat(400), "長".repeat(200)]];
    for (const [i, [raw, shown]] of names.entries()) {
      // Distinct bytes each time, or dedupe would hand back the first.
      const { body } = await upload(base, bob.token, raw!, Buffer.concat([csv, Buffer.from(`c,${i}\n`)]));
      expect(body.dataset?.name, JSON.stringify(body)).toBe(shown);
      const res = await fetch(`${base}/api/datasets/${body.dataset.id}/file`, { headers: { authorization: `Bearer ${bob.token}` } });
      expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="[A-Za-z0-9._-]{1,120}"; filename\*=UTF-8''[A-Za-z0-9._%-]+$/);
      await res.arrayBuffer();
    }
    expect((await tree(app.config.datasets.dir)).every((f) => /^[0-9a-f-]{36}(\/[0-9a-f-]{36}(\/.+)?)?$|^\.engine-tmp/.test(f))).toBe(true);
  });

  it("serves an HTML/SVG file disguised as .csv back only as an attachment, never rendered", async () => {
    const { body } = await put(alice, "html.csv");
    const res = await fetch(`${base}/api/datasets/${body.dataset.id}/file`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect({
      status: res.status, type: res.headers.get("content-type"), disposition: res.headers.get("content-disposition"),
      nosniff: res.headers.get("x-content-type-options"), csp: res.headers.get("content-security-policy"),
    }).toEqual({ status: 200, type: "application/octet-stream", disposition: `attachment; filename="html.csv"; filename*=UTF-8''html.csv`, nosniff: "nosniff", csp: "sandbox; default-src 'none'" });
    expect(Buffer.from(await res.arrayBuffer())).toEqual(await readFile(fx.file("html.csv")));
  });

  it("refuses cross-site, form-encoded and anonymous uploads", async () => {
    const data = await readFile(fx.file("zh_utf8.csv"));
    for (const [headers, status] of [
      [{ "content-type": "text/plain" }, 415], [{ "content-type": "application/x-www-form-urlencoded" }, 415], [{ "content-type": "multipart/form-data; boundary=x" }, 415],
      [{ origin: "https://evil.example" }, 403],
    ] as const) {
      expect((await upload(base, bob.token, "cross.csv", data, headers)).status).toBe(status);
    }
    expect((await upload(base, null, "anon.csv", data)).status).toBe(401);
    expect((await bob.caller.datasets.list()).datasets.map((d) => d.name)).not.toContain("cross.csv");
  });

  it("shows a user only their own datasets; another user's id is NOT_FOUND everywhere", async () => {
    const { body } = await put(alice, "data.json", "alice-private.json");
    const id = body.dataset.id as string;
    expect((await bob.caller.datasets.list()).datasets.map((d) => d.id)).not.toContain(id);
    for (const call of [
      () => bob.caller.datasets.get({ datasetId: id }), () => bob.caller.datasets.preview({ datasetId: id }), () => bob.caller.datasets.profile({ datasetId: id }),
      () => bob.caller.datasets.rename({ datasetId: id, name: "mine" }), () => bob.caller.datasets.delete({ datasetId: id }),
    ]) {
      const err = await call().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect({ code: (err as TRPCError).code, message: (err as TRPCError).message }).toEqual({ code: "NOT_FOUND", message: "Dataset not found" });
    }
    const dl = await fetch(`${base}/api/datasets/${id}/file`, { headers: { authorization: `Bearer ${bob.token}` } });
    expect(dl.status).toBe(404);
    expect(await dl.text()).not.toContain('"name"');
    expect((await alice.caller.datasets.get({ datasetId: id })).name).toBe("data.json");
  });

  it("parses files in an engine process of its own, holding no secrets, that a crash does not take down", async () => {
    const { body } = await put(alice, "zh_utf8.csv");
    await alice.caller.datasets.preview({ datasetId: body.dataset.id });
    const engine = app.services.datasets.engine as EngineProcess;
    const pid = engine.pid!;
    expect(pid).not.toBe(process.pid);
    const environ = (await readFile(`/proc/${pid}/environ`, "utf8")).split("\0").filter(Boolean).map((kv) => kv.split("=")[0]);
    // Node's own IPC channel variables, and nothing of the server's (DATABASE_URL, CREDENTIALS_SECRET_KEY…).
    expect(environ.sort()).toEqual(["HOME", "LANG", "NODE_CHANNEL_FD", "NODE_CHANNEL_SERIALIZATION_MODE", "PATH"]);
    // A query under way when the process dies (a crash, or the kernel's OOM killer) fails plainly…
    const long = engine.query("SELECT count(*) FROM range(100000000000)");
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, "SIGKILL");
    await expect(long).rejects.toThrow(/The dataset engine was killed \(SIGKILL\) while reading this file/);
    // …and the next one gets a new process.
    const p = await alice.caller.datasets.preview({ datasetId: body.dataset.id });
    expect(p.rows[0]).toEqual(["张三", "男", 34, 120]);
    expect(engine.pid).not.toBe(pid);
  });

  it("deleting a dataset frees its storage", async () => {
    const { body } = await put(bob, "data.jsonl", "to-delete.jsonl");
    const before = (await bob.caller.datasets.list()).usedBytes;
    await bob.caller.datasets.delete({ datasetId: body.dataset.id });
    expect((await bob.caller.datasets.list()).usedBytes).toBe(before - body.dataset.sizeBytes);
    expect(await tree(path.join(store(bob), body.dataset.id))).toEqual([]);
    await expect(bob.caller.datasets.get({ datasetId: body.dataset.id })).rejects.toThrow("Dataset not found");
  });
});

describe("the datasets CLI", () => {
  it("adds (with a progress line), lists and previews datasets as the local user", async () => {
    const fx = await makeFixtures();
    const home = await mkdtemp(path.join(os.tmpdir(), "lab-cli-"));
    const { execFile } = await import("node:child_process");
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const { DATABASE_URL: _db, ...env } = process.env;
        execFile(process.execPath, ["--import", "tsx", "src/cli/index.ts", "datasets", ...args], { cwd: path.resolve(import.meta.dirname, ".."), env: { ...env, LAB_HOME: home, INIT_CWD: fx.dir } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }));
      });
    try {
      const add = await cli("add", "zh_gbk.csv");
      expect(add.code).toBe(0);
      expect(add.stderr).toMatch(/upload: 67\.0 B|upload: 0\.1 KB \/ 0\.1 KB \(100%\)/);
      const id = /^stored: ([0-9a-f-]{36})  zh_gbk\.csv  csv  0\.1 KB$/m.exec(add.stdout)?.[1];
      expect(id, add.stdout).toBeDefined();
      expect(add.stdout).toContain("  data: 姓名 VARCHAR, 性别 VARCHAR, 年龄 BIGINT, 收缩压 BIGINT");
      expect((await cli("add", "zh_gbk.csv")).stdout).toMatch(/^already stored: /);
      const list = await cli("list");
      expect(list.stdout).toMatch(new RegExp(`^${id}  csv\\s+0\\.1 KB  .{16}  zh_gbk\\.csv\\n1 dataset\\(s\\), 0\\.1 KB of 10\\.00 GB used\\n$`));
      const preview = await cli("preview", id!);
      expect(preview.stdout.split("\n").slice(0, 3)).toEqual(["zh_gbk.csv", "姓名 | 性别 | 年龄 | 收缩压", "张三 | 男  | 34 | 120"]);
      const bad = await cli("add", "bomb.xlsx");
      expect({ code: bad.code, err: bad.stderr.trim().split("\n").pop() }).toEqual({ code: 1, err: "A workbook part (xl/media/zeros.bin) has a compression ratio of 1029:1 (limit 200:1): refused as a possible zip bomb" });
      expect((await cli("frobnicate")).code).toBe(2);
    } finally {
      await fx.close();
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});
