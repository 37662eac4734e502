import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { loadConfig } from "../src/config/index.js";
import type { AppContext, AppServices } from "../src/context.js";
import { createDb, migrateToLatest } from "../src/db/index.js";
import { uploadRoutes } from "../src/http/uploads.js";
import { createHttpHandler } from "../src/http/server.js";
import { appRouter } from "../src/routers/_app.js";
import type { EngineProcess } from "../src/services/datasets-engine-process.js";
import { createDatasetService } from "../src/services/datasets-setup.js";
import { createCallerFactory } from "../src/trpc.js";
import { type Row, row } from "./stats.js";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const TARGET_BYTES = 1024 ** 3;

/**
 * Datasets: a generated 1 GB CSV (written here, deleted after) uploaded over HTTP by curl (so the client's
 * memory is not the server's), then previewed and profiled through tRPC. Beside it, in the same run: a
 * plain file copy (upload), DuckDB's own read_csv LIMIT 100 (preview) and full scan (profile), and
 * pandas.read_csv in the kernel venv. Server RSS is sampled every 20 ms from before the upload to the end.
 */
export async function datasetsBench(say: (line: string) => void): Promise<{ rows: Row[]; raw: Record<string, number> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lab-bench-ds-"));
  const csv = path.join(dir, "big.csv");
  const close: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  try {
    say("datasets: writing a 1 GB CSV…");
    const rows = await writeCsv(csv);
    const size = (await stat(csv)).size;
    const { config, secrets } = loadConfig({ LAB_HOME: path.join(dir, "home"), LAB_KERNEL_POOL_SIZE: "0" }, REPO_ROOT);
    const dbh = await createDb({ kind: "pglite", dataDir: "memory://" });
    await migrateToLatest(dbh.db);
    close.push(dbh.close);
    const datasets = await createDatasetService(dbh.db, config);
    close.push(() => datasets.engine.close());
    // Only the dataset routes run here: no gateway or kernels are needed to measure them.
    const app: AppContext = { config, secrets, db: dbh.db, services: { datasets } as AppServices, close: async () => {} };
    const caller = createCallerFactory(appRouter)({ app, user: null, authSessionToken: null, req: { ip: "127.0.0.1", origin: null, userAgent: "bench" }, resHeaders: { setCookie: () => {} } });
    const { token } = await caller.auth.register({ email: `bench-${randomBytes(4).toString("hex")}@example.org`, password: `pw-${randomBytes(9).toString("hex")}` });
    const server = http.createServer(createHttpHandler(app, { router: appRouter, extraRoutes: uploadRoutes }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    close.push(() => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/datasets?name=big.csv`;

    say("datasets: baselines (file copy, DuckDB read_csv)…");
    const copyMs = await timed(() => copyFile(csv, path.join(dir, "copy.csv")));
    await rm(path.join(dir, "copy.csv"));
    const duck = await duckBaselines(csv);

    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    say("datasets: upload (curl → server), preview, profile…");
    let id = "";
    const uploadMs = await timed(async () => {
      const { stdout } = await run("curl", ["-sS", "--fail-with-body", "-X", "POST", "-H", "Content-Type: application/octet-stream", "-H", `Authorization: Bearer ${token}`, "-T", csv, url], { maxBuffer: 1 << 20 });
      id = (JSON.parse(stdout) as { dataset: { id: string } }).dataset.id;
    });
    const authed = createCallerFactory(appRouter)({ app, user: await meFor(app, token), authSessionToken: token, req: { ip: "127.0.0.1", origin: null, userAgent: "bench" }, resHeaders: { setCookie: () => {} } });
    const previewMs = await timed(() => authed.datasets.preview({ datasetId: id }));
    let profiledRows = 0;
    const profileMs = await timed(async () => { profiledRows = (await authed.datasets.profile({ datasetId: id })).rowCount; });
    clearInterval(sampler);
    const rssGrowthMb = (peak - rss0) / 1024 / 1024;
    const enginePid = (datasets.engine as EngineProcess).pid;
    const enginePeakMb = enginePid ? Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${enginePid}/status`, "utf8"))?.[1] ?? 0) / 1024 : 0;
    if (profiledRows !== rows) throw new Error(`profile counted ${profiledRows} rows, the file has ${rows}`);

    say("datasets: pandas.read_csv in the kernel venv…");
    const pandasMs = await pandasReadCsv(csv);
    const mbps = (ms: number) => `${(size / 1024 / 1024 / (ms / 1000)).toFixed(0)} MB/s`;
    const raw = { sizeBytes: size, rows, uploadMs, copyMs, previewMs, profileMs, rssGrowthMb, enginePeakMb, pandasMs, ...duck };
    return {
      raw,
      rows: [
        row({ metric: "1 GB CSV upload (HTTP, hash, to disk)", unit: "ms", value: uploadMs, baseline: copyMs, target: null, note: `${mbps(uploadMs)} (baseline: cp of the same file, ${mbps(copyMs)})` }),
        row({ metric: "  server peak RSS growth: upload+preview+profile", unit: "MB", value: rssGrowthMb, baseline: null, target: { max: 100, on: "value" } }),
        row({ metric: "  dataset engine process peak RSS (DuckDB)", unit: "MB", value: enginePeakMb, baseline: null, target: null, note: "DuckDB runs in a process of its own (memory_limit LAB_DATASET_ENGINE_MEMORY_MB plus its threads' own)" }),
        row({ metric: "  preview, first 100 rows", unit: "ms", value: previewMs, baseline: duck.duckPreviewMs, target: { max: 1000, on: "value" }, note: "baseline: DuckDB read_csv(…) LIMIT 100 in a fresh instance" }),
        row({ metric: "  full profile (all columns)", unit: "ms", value: profileMs, baseline: duck.duckScanMs, target: { max: 5000, on: "value" }, note: `baseline: DuckDB SELECT count(*) FROM read_csv(…) (one full parse); ${rows} rows` }),
        row({ metric: "  pandas.read_csv of the same file", unit: "ms", value: pandasMs, baseline: duck.duckScanMs, target: null, note: "kernel venv, default engine: what loading it in a kernel costs" }),
      ],
    };
  } finally {
    for (const c of close.reverse()) await c().catch((err: unknown) => say(`datasets: cleanup failed: ${String(err)}`));
  }
}

async function meFor(app: AppContext, token: string) {
  const { validateAuthSession } = await import("../src/services/auth-sessions.js");
  const { toUserDto } = await import("../src/services/auth.js");
  const s = await validateAuthSession(app.db, token, app.config.auth);
  if (!s) throw new Error("bench token did not validate");
  return toUserDto(s.user);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** ~18.8 M rows: an id, a 20-level group, a float, an int, a date and a short note. Returns the row count. */
async function writeCsv(file: string): Promise<number> {
  const out = createWriteStream(file);
  let size = 0;
  let i = 0;
  const write = (s: string) => new Promise<void>((resolve) => (out.write(s) ? resolve() : out.once("drain", resolve)));
  await write("id,group,x,y,day,note\n");
  while (size < TARGET_BYTES) {
    let chunk = "";
    for (let k = 0; k < 5000; k++, i++) {
      chunk += `${i},group_${i % 20},${(Math.sin(i) * 100).toFixed(4)},${i % 1000},2024-${String(1 + (i % 12)).padStart(2, "0")}-${String(1 + (i % 28)).padStart(2, "0")},note ${i % 7919}\n`;
    }
    size += chunk.length;
    await write(chunk);
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return i;
}

async function duckBaselines(csv: string): Promise<{ duckPreviewMs: number; duckScanMs: number }> {
  const inst = await DuckDBInstance.create(":memory:", { threads: "2" });
  const c = await inst.connect();
  try {
    const lit = `'${csv.replace(/'/g, "''")}'`;
    const duckPreviewMs = await timed(() => c.runAndReadAll(`SELECT * FROM read_csv(${lit}) LIMIT 100`));
    const duckScanMs = await timed(() => c.runAndReadAll(`SELECT count(*) FROM read_csv(${lit})`));
    return { duckPreviewMs, duckScanMs };
  } finally {
    c.closeSync();
    inst.closeSync();
  }
}

async function pandasReadCsv(csv: string): Promise<number> {
  const py = path.join(REPO_ROOT, ".venvs", "kernel", "bin", "python");
  const { stdout } = await run(py, ["-c", "import sys, time, pandas as pd\nt = time.perf_counter(); df = pd.read_csv(sys.argv[1]); print((time.perf_counter() - t) * 1000)", csv], { maxBuffer: 1 << 20 });
  return Number(stdout.trim());
}
