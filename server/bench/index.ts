import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { datasetsBench } from "./datasets.js";
import { DirectKernel } from "./direct.js";
import { LLM_PLAN, llmTokenLatency, summariseLlm } from "./llm.js";
import { REPO_ROOT, type LabServer, startLabServer } from "./lab.js";
import { IMPORTS, idleKernelRss, roundTrips, sessionStarts, transportFloors } from "./scenarios.js";
import { type Row, renderTable, row, summarize } from "./stats.js";

/**
 * `npm run bench`: the lab's latency and memory, each beside a baseline measured in the same run (this
 * machine is small and shared, so only ratios travel). Prints a table, writes bench/results/latest.json,
 * and exits 0 whatever the results: a bench is a report, not a test.
 */
const PLAN = { warmup: 20, iterations: 200, blocks: 4, warmStarts: 5, coldStarts: 3 };
const RESULTS = path.join(import.meta.dirname, "results", "latest.json");

// @jupyterlab/services logs every websocket (re)start at debug level.
console.debug = () => {};
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c().catch((err: unknown) => console.error("bench: cleanup failed:", err));
}

/** The operator's LAB_* settings (LAB_SANDBOX…) apply; the database and gateway are always the bench's own. */
function labEnv(poolSize: number): Record<string, string> {
  const { DATABASE_URL: _db, GATEWAY_URL: _gw, GATEWAY_TOKEN: _tk, PUBLIC_ORIGIN: _po, ...env } = process.env;
  return { ...Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)), LAB_KERNEL_POOL_SIZE: String(poolSize) };
}

async function openLab(poolSize: number): Promise<LabServer> {
  say(`starting the lab (embedded gateway, PGlite, LAB_KERNEL_POOL_SIZE=${poolSize})…`);
  const lab = await startLabServer(labEnv(poolSize), (line) => say(`lab: ${line}`));
  cleanups.push(() => lab.close());
  return lab;
}

async function closeLast(): Promise<void> {
  await cleanups.pop()?.();
}

/** `npm run bench -- --only=llm` runs only the LLM streaming section (it needs no direct kernel); `--only=core`
 * and `--only=datasets` likewise run only theirs. */
async function llmSection(): Promise<{ rows: Row[]; summary: ReturnType<typeof summariseLlm>; samples: Awaited<ReturnType<typeof llmTokenLatency>> }> {
  say(`LLM token streaming: ${LLM_PLAN.runs} runs × ${LLM_PLAN.tokens} tokens, fake provider → server → SSE subscriber, beside the same SDK reading the fake directly…`);
  const samples = await llmTokenLatency(labEnv(0), say);
  const l = summariseLlm(samples);
  const rows = [
    row({ metric: "LLM token latency p50, via server", unit: "ms", value: l.serverP50, baseline: l.directP50, target: null, note: `n = ${l.n} tokens; baseline: the same openai SDK reading the fake provider directly` }),
    row({ metric: "LLM token latency p99, via server", unit: "ms", value: l.serverP99, baseline: l.directP99, target: null }),
    row({ metric: "  added by the server per token, p50", unit: "ms", value: l.addedP50, baseline: null, target: null }),
    row({ metric: "  added by the server per token, p99", unit: "ms", value: l.addedP99, baseline: null, target: { max: 2, on: "value" } }),
  ];
  return { rows, summary: l, samples };
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  if (process.argv.includes("--only=llm")) {
    const llm = await llmSection();
    console.log(`\nLLM Data Lab bench (LLM section only) — ${os.cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")} at start\n`);
    console.log(renderTable(llm.rows));
    for (const r of llm.rows.filter((x) => x.note)) console.log(`  ${r.metric}: ${r.note}`);
    return;
  }
  if (process.argv.includes("--only=datasets")) {
    const { rows } = await datasetsBench(say);
    console.log(`\nLLM Data Lab bench (datasets section only) — ${os.cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")} at start\n`);
    console.log(renderTable(rows));
    for (const r of rows.filter((x) => x.note)) console.log(`  ${r.metric.trim()}: ${r.note}`);
    return;
  }
  say("starting the direct baseline kernel…");
  const direct = await DirectKernel.start(path.join(REPO_ROOT, ".venvs", "kernel"));
  cleanups.push(() => direct.close());

  const warm = await openLab(1);
  say(`round trips: ${PLAN.warmup} warm-up, then ${PLAN.iterations} each at four depths, in ${PLAN.blocks} rotating blocks…`);
  const rt = await roundTrips(warm, direct, PLAN);
  say(`new session → first result from the warm pool, ×${PLAN.warmStarts}…`);
  const warmStarts = await sessionStarts(warm, PLAN.warmStarts);
  say(`idle kernel memory after \`${IMPORTS}\`…`);
  const rss = await idleKernelRss(warm, direct);
  say("transport floors: an authenticated tRPC query, an event to the SSE client…");
  const floors = await transportFloors(warm, PLAN.iterations);
  await closeLast();
  if (process.argv.includes("--only=core")) {
    const r = summarize(rt.full), d = summarize(rt.direct), e = summarize(rt.executor), g = summarize(rt.gateway), w = summarize(warmStarts);
    console.log(`\nLLM Data Lab bench (core section only) — ${os.cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")} at start\n`);
    console.log(renderTable([
      row({ metric: "1+1 round trip p50, full stack", unit: "ms", value: r.p50, baseline: d.p50, target: { max: 1.5, on: "ratio" } }),
      row({ metric: "1+1 round trip p95, full stack", unit: "ms", value: r.p95, baseline: d.p95, target: null }),
      row({ metric: "  p50 without HTTP/SSE (executor)", unit: "ms", value: e.p50, baseline: d.p50, target: null }),
      row({ metric: "  p50 kernel adapter only (EG ws)", unit: "ms", value: g.p50, baseline: d.p50, target: null }),
      ...floorRows(floors, d.p50),
      row({ metric: `new session → result, warm pool p50/${PLAN.warmStarts}`, unit: "ms", value: w.p50, baseline: null, target: { max: 300, on: "value" } }),
      row({ metric: "idle kernel RSS, pandas + pyplot", unit: "MB", value: rss.lab.kernelKb / 1024, baseline: rss.direct.rssKb / 1024, target: { max: 120, on: "value" } }),
    ]));
    return;
  }

  say(`cold starts, direct kernel ×${PLAN.coldStarts}…`);
  const directCold = await direct.coldStarts(PLAN.coldStarts);
  const cold = await openLab(0);
  say(`new session → first result with no pool, ×${PLAN.coldStarts}…`);
  const coldStarts = await sessionStarts(cold, PLAN.coldStarts);
  await closeLast();
  const llm = await llmSection();
  say("datasets: 1 GB CSV upload, preview, profile, beside DuckDB and pandas…");
  const datasets = await datasetsBench(say);

  const s = {
    roundTripFull: summarize(rt.full),
    roundTripExecutor: summarize(rt.executor),
    roundTripGateway: summarize(rt.gateway),
    roundTripDirect: summarize(rt.direct),
    warmStart: summarize(warmStarts),
    coldStart: summarize(coldStarts),
    directColdStart: summarize(directCold),
  };
  const mb = (kb: number) => kb / 1024;
  const rows: Row[] = [
    row({ metric: "1+1 round trip p50, full stack", unit: "ms", value: s.roundTripFull.p50, baseline: s.roundTripDirect.p50, target: { max: 1.5, on: "ratio" } }),
    row({ metric: "1+1 round trip p95, full stack", unit: "ms", value: s.roundTripFull.p95, baseline: s.roundTripDirect.p95, target: null }),
    row({ metric: "  p50 without HTTP/SSE (executor)", unit: "ms", value: s.roundTripExecutor.p50, baseline: s.roundTripDirect.p50, target: null }),
    row({ metric: "  p50 kernel adapter only (EG ws)", unit: "ms", value: s.roundTripGateway.p50, baseline: s.roundTripDirect.p50, target: null }),
    ...floorRows(floors, s.roundTripDirect.p50),
    row({ metric: `new session → result, warm pool p50/${PLAN.warmStarts}`, unit: "ms", value: s.warmStart.p50, baseline: null, target: { max: 300, on: "value" }, note: `max ${s.warmStart.max.toFixed(0)} ms` }),
    row({ metric: `new session → result, cold p50/${PLAN.coldStarts}`, unit: "ms", value: s.coldStart.p50, baseline: s.directColdStart.p50, target: null, note: "baseline: a local kernel started by jupyter_client, to its first result" }),
    row({ metric: "idle kernel RSS, pandas + pyplot", unit: "MB", value: mb(rss.lab.kernelKb), baseline: mb(rss.direct.rssKb), target: { max: 120, on: "value" }, note: `private (RssAnon) ${mb(rss.lab.kernelAnonKb).toFixed(1)} MB (direct ${mb(rss.direct.anonKb).toFixed(1)} MB); with bwrap ${mb(rss.lab.sandboxKb).toFixed(1)} MB` }),
    ...llm.rows,
    ...datasets.rows,
  ];

  console.log(`\nLLM Data Lab bench — ${os.cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")} at start; baselines: direct jupyter_client (ZMQ) on an unsandboxed local kernel\n`);
  console.log(renderTable(rows));
  for (const r of rows.filter((x) => x.note)) console.log(`  ${r.metric}: ${r.note}`);

  await mkdir(path.dirname(RESULTS), { recursive: true });
  const round = (xs: number[]) => xs.map((x) => Math.round(x * 100) / 100);
  await writeFile(
    RESULTS,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
        commit: gitCommit(),
        machine: { cpus: os.cpus().length, node: process.version, loadBefore, loadAfter: os.loadavg() },
        plan: PLAN,
        rows,
        summaries: s,
        rss: rss,
        llm: { plan: LLM_PLAN, summary: llm.summary },
        datasets: datasets.raw,
        samples: {
          roundTrip: Object.fromEntries(Object.entries(rt).map(([k, v]) => [k, round(v)])),
          warmStarts: round(warmStarts),
          coldStarts: round(coldStarts),
          directColdStarts: round(directCold),
          transportQuery: round(floors.query),
          transportEvent: round(floors.event),
          llmTokenViaServer: round(llm.samples.viaServer),
          llmTokenDirect: round(llm.samples.direct),
        },
      },
      null,
      2,
    ),
  );
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS)}`);
}

/**
 * Transport alone, against the same direct round trip: what HTTP, tRPC, auth and SSE cost before any cell
 * runs, as a share of it (the full stack's 1.5× leaves 0.5× for everything beyond the kernel).
 */
function floorRows(floors: { query: number[]; event: number[] }, directP50: number): Row[] {
  return [
    row({ metric: "  p50 authenticated tRPC query (auth.me)", unit: "ms", value: summarize(floors.query).p50, baseline: directP50, target: null, note: "HTTP + tRPC + the session-token lookup: every cell's request pays it (baseline: the direct 1+1 round trip)" }),
    row({ metric: "  p50 one event, bus → SSE client", unit: "ms", value: summarize(floors.event).p50, baseline: directP50, target: null, note: "every cell's result reaches the client this way (baseline: the direct 1+1 round trip)" }),
  ];
}

function gitCommit(): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return null;
  }
}

process.once("SIGINT", () => void cleanUp().then(() => process.exit(130)));
let exitCode = 0;
try {
  await main();
} catch (err) {
  console.error("bench: failed:", err);
  exitCode = 1;
} finally {
  await cleanUp();
}
// Lingering sockets (SSE reconnect timers, keep-alive) must not keep a finished bench alive.
process.exit(exitCode);
