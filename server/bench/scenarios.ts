import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { AppContext } from "../src/context.js";
import { OutputCollector } from "../src/kernel/outputs.js";
import { CellWatcher, type LabClient } from "./client.js";
import type { DirectKernel } from "./direct.js";
import type { LabServer } from "./lab.js";
import { type KernelRss, kernelRss } from "./rss.js";

/** Lets the machine go quiet (kernel start-up, EG bookkeeping) before a timed start. */
const SETTLE_MS = 500;
export const IMPORTS = "import pandas, matplotlib.pyplot";

/** One cell through the whole stack: `sessions.run` → its final cell.status on the open subscription. */
async function runCell(client: LabClient, watcher: CellWatcher, sessionId: string, code: string): Promise<number> {
  const t0 = performance.now();
  const cell = await client.sessions.run.mutate({ sessionId, code });
  return (await watcher.done(cell.id)).at - t0;
}

async function withSession<T>(client: LabClient, title: string, fn: (sessionId: string, w: CellWatcher) => Promise<T>): Promise<T> {
  const session = await client.sessions.create.mutate({ title });
  const watcher = new CellWatcher(client, session.id);
  try {
    return await fn(session.id, watcher);
  } finally {
    watcher.close();
    await client.sessions.delete.mutate({ sessionId: session.id }); // stops its kernel: the per-user cap is small
  }
}

const timed = async (fn: () => Promise<void>): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

export type Stage = "full" | "executor" | "gateway" | "direct";

/**
 * "1+1" round trips at four depths, on one session's kernel (and the direct one), in blocks whose order
 * rotates so that all four see the same noisy machine. The middle two say where the time goes.
 */
export async function roundTrips(lab: LabServer, direct: DirectKernel, opts: { warmup: number; iterations: number; blocks: number }) {
  const client = await lab.newUser();
  return withSession(client, "bench: round trip", async (sessionId, watcher) => {
    await watcher.started;
    const session = await lab.app.db.selectFrom("analysis_sessions").selectAll().where("id", "=", sessionId).executeTakeFirstOrThrow();
    const { executor, kernels } = lab.app.services;
    const stages: Record<Stage, (n: number) => Promise<number[]>> = {
      // What a user waits for: HTTP mutation, executor (SQL, events), EG, kernel, SSE event.
      full: (n) => repeat(n, () => runCell(client, watcher, sessionId, "1+1")),
      // The same minus HTTP and SSE.
      executor: (n) =>
        repeat(n, () =>
          timed(async () => {
            const cell = await (await executor.submit(session, { code: "1+1", source: "user" })).done;
            if (cell.status !== "ok") throw new Error(`executor: cell ended ${cell.status}`);
          }),
        ),
      // Only the kernel adapter: execute over EG's websocket on the session's kernel.
      gateway: async (n) => {
        const { kernel } = await kernels.acquire(session);
        return repeat(n, () =>
          timed(async () => {
            const outcome = await kernel.execute("1+1", new OutputCollector(1_000_000, () => {}), { timeoutMs: 60_000 });
            if (outcome.kind !== "ok") throw new Error(`gateway: execute ended ${outcome.kind}`);
          }),
        );
      },
      direct: (n) => direct.roundTrips(n),
    };
    const order: Stage[] = ["full", "executor", "gateway", "direct"];
    for (const stage of order) await stages[stage](opts.warmup);
    // The session took the pooled kernel, and the refill is a kernel start-up: wait it out.
    await poolFilled(lab.app, lab.app.config.kernels.poolSize);
    await sleep(SETTLE_MS);
    const samples: Record<Stage, number[]> = { full: [], executor: [], gateway: [], direct: [] };
    const perBlock = Math.ceil(opts.iterations / opts.blocks);
    for (let b = 0; b < opts.blocks; b++) {
      for (const stage of [...order.slice(b % order.length), ...order.slice(0, b % order.length)]) {
        samples[stage].push(...(await stages[stage](perBlock)));
      }
    }
    return samples;
  });
}

async function repeat(n: number, once: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await once());
  return out;
}

/**
 * New session → first cell's result, as the UI does it: create, open the event stream (not waited for:
 * its back-fill catches up), run, wait for ok. With a pool, each start waits for the pool to refill.
 */
export async function sessionStarts(lab: LabServer, n: number): Promise<number[]> {
  const client = await lab.newUser();
  const poolSize = lab.app.config.kernels.poolSize;
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    await poolFilled(lab.app, poolSize);
    await sleep(SETTLE_MS);
    const t0 = performance.now();
    const session = await client.sessions.create.mutate({ title: `bench: start ${i}` });
    const watcher = new CellWatcher(client, session.id);
    try {
      const cell = await client.sessions.run.mutate({ sessionId: session.id, code: "1+1" });
      samples.push((await watcher.done(cell.id)).at - t0);
    } finally {
      watcher.close();
      await client.sessions.delete.mutate({ sessionId: session.id });
    }
  }
  return samples;
}

/** Waits until the warm pool holds `size` kernels again (it refills in the background after each claim). */
async function poolFilled(app: AppContext, size: number, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (app.services.kernels.warmKernels < size) {
    if (Date.now() > deadline) throw new Error(`the warm pool did not refill within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** An idle kernel after the usual imports, read from the host's /proc; the same imports in the direct kernel. */
export async function idleKernelRss(lab: LabServer, direct: DirectKernel): Promise<{ lab: KernelRss; direct: { rssKb: number; anonKb: number } }> {
  const client = await lab.newUser();
  const rss = await withSession(client, "bench: rss", async (sessionId, watcher) => {
    await runCell(client, watcher, sessionId, IMPORTS);
    await sleep(SETTLE_MS);
    const k = await lab.app.db.selectFrom("kernels").select("id").where("session_id", "=", sessionId).executeTakeFirstOrThrow();
    return kernelRss(k.id);
  });
  return { lab: rss, direct: await direct.rssAfter(IMPORTS) };
}

/**
 * What any cell's round trip pays before the executor and kernel: one authenticated tRPC request (here
 * `auth.me`: HTTP, tRPC, the session-token lookup) and one event from the bus to the SSE client. Not a
 * target; they say how much of the full-stack figure is transport.
 */
export async function transportFloors(lab: LabServer, n: number): Promise<{ query: number[]; event: number[] }> {
  const client = await lab.newUser();
  const query = await repeat(n, () => timed(async () => void (await client.auth.me.query())));
  const session = await client.sessions.create.mutate({ title: "bench: transport" });
  let arrived: (() => void) | null = null;
  const sub = client.sessions.events.subscribe({ sessionId: session.id, lastEventId: null }, { onData: () => arrived?.() });
  try {
    await sleep(SETTLE_MS); // subscribed, back-fill delivered
    const event = await repeat(n, async () => {
      const got = new Promise<void>((resolve) => (arrived = resolve));
      const t0 = performance.now();
      // Sent at once, stored just after (see EventBus): time the sending, then let the storing finish.
      const stored = lab.app.services.events.publish(session.id, [{ type: "kernel.status", status: "idle" }]);
      await got;
      const ms = performance.now() - t0;
      await stored;
      return ms;
    });
    return { query, event };
  } finally {
    sub.unsubscribe();
    await client.sessions.delete.mutate({ sessionId: session.id });
  }
}
