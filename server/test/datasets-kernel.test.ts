import { readFile } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { datasetContext } from "../src/services/datasets-context.js";
import { DATABASES } from "./helpers/db.js";
import { listenWithFiles, makeFixtures } from "./helpers/datasets.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";

type User = Awaited<ReturnType<Lab["user"]>>;

describe.each(DATABASES)("datasets inside sandboxed kernels ($name)", ({ name }) => {
  let lab: Lab;
  let fx: Awaited<ReturnType<typeof makeFixtures>>;
  let alice: User;
  let bob: User;
  let base: string;
  let stop: () => Promise<void>;
  let sessionId: string;
  const ids: Record<string, string> = {};

  const userId = async (u: User) => (await u.caller.auth.me())!.id;

  beforeAll(async () => {
    fx = await makeFixtures();
    lab = await startLab(name);
    ({ url: base, close: stop } = await listenWithFiles(lab.app));
    alice = await lab.user();
    bob = await lab.user();
    for (const f of ["zh_gbk.csv", "multi.xlsx", "semicolon.csv", "ragged.csv"]) {
      const { dataset } = await lab.app.services.datasets.upload(await userId(alice), { name: f, body: createReadStream(fx.file(f)) });
      ids[f] = dataset.id;
    }
    sessionId = (await alice.caller.sessions.create({ title: "with data" })).id;
    for (const f of Object.keys(ids)) await alice.caller.datasets.attach({ sessionId, datasetId: ids[f]! });
  }, 240_000);
  afterAll(async () => {
    await stop?.();
    await lab?.close();
    await fx?.close();
  });

  it("shows attached datasets read-only under /data and loads each in one call, right encoding and sheet", async () => {
    expect((await alice.caller.datasets.attached({ sessionId })).map((a) => a.path)).toEqual(["/data/zh_gbk.csv", "/data/multi.xlsx", "/data/semicolon.csv", "/data/ragged.csv"]);
    const cell = await run(alice, sessionId, [
      "import os, stat",
      "from lab_data import load",
      "print(sorted(f for f in os.listdir('/data') if not f.startswith('.')))",
      "df = load('zh_gbk.csv'); print(df.columns.tolist(), df['年龄'].sum())",
      "print(load('multi.xlsx', sheet='Summary').values.tolist(), load('multi.xlsx').columns.tolist())",
      "print(load('semicolon.csv')['Gewicht'].tolist(), load('ragged.csv').shape)",
      "import errno",
      "for p in ('/data/zh_gbk.csv', '/data/new.csv', '/data/.lab/manifest.json'):\n    try:\n        open(p, 'a')\n    except OSError as e:\n        print('write refused:', errno.errorcode[e.errno])",
      "print(oct(stat.S_IMODE(os.stat('/data/zh_gbk.csv').st_mode)))",
    ].join("\n"), 120_000);
    expect(text(cell)).toBe([
      "['multi.xlsx', 'ragged.csv', 'semicolon.csv', 'zh_gbk.csv']",
      "['姓名', '性别', '年龄', '收缩压'] 140",
      "[['n', 2], ['m', 3]] ['姓名', '年龄', '收缩压', '日期']",
      "[1.5, 2.25, nan] (3, 4)",
      "write refused: EACCES",
      "write refused: EROFS",
      "write refused: EACCES",
      "0o444",
      "",
    ].join("\n"));
  });

  it("gives the prompt builder schemas, rows and profiles as compact text", async () => {
    const ctx = await datasetContext(lab.app.db, sessionId);
    expect(ctx).toContain('- /data/zh_gbk.csv (uploaded as "zh_gbk.csv"; CSV, encoding gb18030, delimiter ",", decimal ".")');
    expect(ctx).toContain('load("zh_gbk.csv"), 3 rows');
    expect(ctx).toContain('"年龄" BIGINT (missing 0; distinct ~3; min 34 max 61 mean 46.67 std 13.58; median 45 IQR 39.5–53)');
    expect(ctx).toContain('sheet "Summary": load("multi.xlsx", sheet="Summary"), 2 rows');
    expect(await alice.caller.datasets.context({ sessionId })).toBe(ctx);
  });

  it("records the datasets in the exported notebook", async () => {
    const nb = await alice.caller.sessions.exportNotebook({ sessionId });
    const sha = (await alice.caller.datasets.get({ datasetId: ids["zh_gbk.csv"]! })).sha256;
    expect(nb.metadata.llm_data_lab.datasets[0]).toEqual({ name: "zh_gbk.csv", sha256: sha });
    expect(nb.metadata.llm_data_lab.datasets).toHaveLength(4);
  });

  it("lists and serves the kernel's files, refusing links and paths out of the workspace", async () => {
    const cell = await run(alice, sessionId, [
      "import os",
      "os.makedirs('out', exist_ok=True)",
      "open('out/result.csv', 'w').write('<svg onload=alert(1)>')",
      "os.symlink('/etc/passwd', 'passwd-link')",
      "os.symlink('/data', 'data-link')",
      "os.mkfifo('fifo')",
      "print('ok')",
    ].join("\n"));
    expect(text(cell)).toBe("ok\n");
    const { artifacts } = await alice.caller.artifacts.list({ sessionId });
    expect(artifacts.map((a) => [a.path, a.sizeBytes])).toEqual([["out/result.csv", 21]]);
    const get = (p: string, token = alice.token) => fetch(`${base}/api/sessions/${sessionId}/artifacts/${p}`, { headers: { authorization: `Bearer ${token}` } });
    const ok = await get("out/result.csv");
    expect({ status: ok.status, cd: ok.headers.get("content-disposition"), nosniff: ok.headers.get("x-content-type-options"), type: ok.headers.get("content-type"), body: await ok.text() })
      .toEqual({ status: 200, cd: `attachment; filename="result.csv"; filename*=UTF-8''result.csv`, nosniff: "nosniff", type: "application/octet-stream", body: "<svg onload=alert(1)>" });
    for (const p of ["passwd-link", "data-link/zh_gbk.csv", "fifo", "..%2Fdata%2Fzh_gbk.csv", "out/..%2F..%2Fdata%2Fzh_gbk.csv", "%2Fetc%2Fpasswd", "out%00x"]) {
      const res = await get(p);
      expect({ p, status: res.status, passwd: (await res.text()).includes("root:") }).toEqual({ p, status: p.includes("%2F") || p.includes("%00") ? 400 : 404, passwd: false });
    }
    expect((await get("out/result.csv", bob.token)).status).toBe(404);
  });

  it("keeps another user's datasets and sessions out of reach", async () => {
    const bobSession = (await bob.caller.sessions.create({ title: "bob" })).id;
    const code = async (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof TRPCError ? `${e.code}: ${e.message}` : String(e)));
    expect(await code(bob.caller.datasets.attach({ sessionId: bobSession, datasetId: ids["zh_gbk.csv"]! }))).toBe("NOT_FOUND: Dataset not found");
    const { dataset } = await lab.app.services.datasets.upload(await userId(bob), { name: "bob.csv", body: createReadStream(fx.file("tab.tsv")) });
    expect(await code(bob.caller.datasets.attach({ sessionId, datasetId: dataset.id }))).toBe("NOT_FOUND: Session not found");
    expect(await code(bob.caller.datasets.detach({ sessionId, datasetId: ids["zh_gbk.csv"]! }))).toBe("NOT_FOUND: Session not found");
    await bob.caller.datasets.attach({ sessionId: bobSession, datasetId: dataset.id });
    expect(text(await run(bob, bobSession, "import os; print(sorted(os.listdir('/data')))"))).toBe("['.lab', 'bob.csv']\n");
  });

  it("detaches a deleted dataset from the session and frees its storage", async () => {
    const before = await readFile(fx.file("ragged.csv"));
    expect(before.length).toBeGreaterThan(0);
    await alice.caller.datasets.delete({ datasetId: ids["ragged.csv"]! });
    await alice.caller.datasets.detach({ sessionId, datasetId: ids["semicolon.csv"]! });
    const cell = await run(alice, sessionId, "import os\nfrom lab_data import datasets\nprint(sorted(os.listdir('/data')), sorted(os.listdir('/data/.lab')), [d['file'] for d in datasets()])");
    expect(text(cell)).toBe("['.lab', 'multi.xlsx', 'zh_gbk.csv'] ['manifest.json', 'multi.xlsx', 'zh_gbk.csv'] ['zh_gbk.csv', 'multi.xlsx']\n");
    expect((await alice.caller.datasets.attached({ sessionId })).map((a) => a.file)).toEqual(["zh_gbk.csv", "multi.xlsx"]);
  });
});
