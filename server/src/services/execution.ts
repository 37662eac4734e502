import { randomUUID } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { Config } from "../config/index.js";
import type { CellSource, CellStatus, Database, SessionRow } from "../db/schema.js";
import { AppError, assertNever, notFound } from "../errors.js";
import { type OutputChange, OutputCollector, type TOutput } from "../kernel/outputs.js";
import type { ExecOutcome, KernelSession } from "../kernel/session.js";
import { type CellDto, toCellDto } from "./dto.js";
import type { EventBus, TSessionEvent } from "./events.js";
import type { KernelManager } from "./kernels.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How often a running cell's outputs are written and streamed: coalesces print loops into few writes. */
const FLUSH_MS = 100;
/** A cell still running after this long is marked running in its row (its event goes out at once). */
const RUNNING_ROW_MS = 50;

interface Queued {
  cellId: string;
  code: string;
  cancelled: boolean;
  done: Promise<CellDto>;
  /** When the kernel was asked to run it (null while queued). */
  startedAt: Date | null;
}

/**
 * Runs cells: one queue per session (a kernel runs one cell at a time), outputs stored as they arrive and
 * published on the session's event stream, every limit turned into a clear message in the cell.
 */
export class Executor {
  private queues = new Map<string, { tail: Promise<unknown>; items: Queued[] }>();
  /** Sessions whose running cell the user interrupted: its KeyboardInterrupt is expected. */
  private interrupting = new Set<string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kernels: KernelManager,
    private readonly events: EventBus,
    private readonly config: Pick<Config, "cell" | "kernels">,
  ) {}

  /** Cells left queued or running by a server that stopped will never finish: say so in them. */
  async init(): Promise<void> {
    await this.db
      .updateTable("cells")
      .set({ status: "error", error: "The server stopped while this cell was queued or running", ended_at: new Date() })
      .where("status", "in", ["queued", "running"])
      .execute();
  }

  /** Queues code as a new cell, or re-runs an existing cell of this session (with edited code). */
  async submit(
    session: SessionRow,
    input: { code: string; source: CellSource; cellId?: string; replay?: boolean },
  ): Promise<{ cell: CellDto; done: Promise<CellDto> }> {
    const row = input.cellId
      ? await this.db
          .updateTable("cells")
          .set({ code: input.code, status: "queued", outputs: "[]", error: null, execution_count: null, started_at: null, ended_at: null })
          .where("id", "=", input.cellId)
          .where("session_id", "=", session.id)
          .returningAll()
          .executeTakeFirst()
      : await this.db
          .insertInto("cells")
          .values({
            id: randomUUID(),
            session_id: session.id,
            position: sql<number>`(select coalesce(max(position), -1) + 1 from cells where session_id = ${session.id})`,
            source: input.source,
            code: input.code,
            status: "queued",
            outputs: "[]",
          })
          .returningAll()
          .executeTakeFirst();
    if (!row) throw notFound("Cell");
    const cell = toCellDto(row);
    this.publish(session.id, [{ type: "cell.created", cell }]);

    const q = this.queues.get(session.id) ?? { tail: Promise.resolve(), items: [] };
    this.queues.set(session.id, q);
    const item: Queued = { cellId: cell.id, code: cell.code, cancelled: false, done: Promise.resolve(cell), startedAt: null };
    item.done = q.tail.then(() => this.run(session, item, input.replay ?? this.config.kernels.replayOnRevive));
    q.items.push(item);
    q.tail = item.done.catch(() => {});
    void q.tail.then(() => {
      q.items.splice(q.items.indexOf(item), 1);
      if (q.items.length === 0 && this.queues.get(session.id) === q) this.queues.delete(session.id);
    });
    return { cell, done: item.done };
  }

  /** Interrupts the running cell; queued cells are cancelled too, as a kernel aborts its queue after an error. */
  async interrupt(session: SessionRow): Promise<void> {
    const items = this.queues.get(session.id)?.items ?? [];
    for (const item of items) item.cancelled = true;
    this.interrupting.add(session.id);
    void (items[0]?.done ?? Promise.resolve()).finally(() => this.interrupting.delete(session.id)).catch(() => {});
    await this.kernels.interrupt(session.id);
    // An interrupt that reaches the kernel before it starts the execute request is ignored (the kernel was
    // idle), so while the interrupted cell still runs, ask again a few times.
    const running = items[0];
    if (!running) return;
    void (async () => {
      for (let i = 0; i < 3; i++) {
        const settled = await Promise.race([running.done.then(() => true, () => true), sleep(1_000).then(() => false)]);
        if (settled) return;
        await this.kernels.interrupt(session.id).catch(() => {});
      }
    })();
  }

  /** A fresh kernel for the session: variables are lost, the workspace and history stay. */
  async restart(session: SessionRow): Promise<void> {
    await this.interrupt(session);
    await this.kernels.shutdown(session.id, "restarted by the user");
  }

  private async run(session: SessionRow, item: Queued, replay: boolean): Promise<CellDto> {
    if (item.cancelled) return this.finish(session, item, { status: "cancelled", error: "Cancelled: an earlier cell was interrupted" }, []);

    let live;
    try {
      live = await this.kernels.acquire(session);
    } catch (err) {
      const message = err instanceof AppError ? err.message : "The kernel could not be started";
      if (!(err instanceof AppError)) console.error("[execution] kernel start failed:", err);
      return this.finish(session, item, { status: "error", error: message }, []);
    }
    const release = this.kernels.use(session.id, live);
    try {
      if (live.fresh && replay) await this.replay(session, item.cellId, live.kernel);
      const startedAt = (item.startedAt = new Date());
      // Sent at once; the row says "running" only if the cell is still running RUNNING_ROW_MS later: most cells
      // end before that, and the final write records started_at anyway. Awaited before the cell settles.
      this.publish(session.id, [this.statusEvent(item.cellId, "running", null, null, startedAt, null)]);
      let rowMarked: Promise<unknown> = Promise.resolve();
      const rowMark = setTimeout(() => {
        rowMarked = this.db.updateTable("cells").set({ status: "running", started_at: startedAt }).where("id", "=", item.cellId).execute();
        rowMarked.catch(() => {}); // handled where it is awaited, below; this only keeps Node from calling it unhandled
      }, RUNNING_ROW_MS);

      const pending: OutputChange[] = [];
      const collector = new OutputCollector(this.config.cell.outputMaxBytes, (c) => pending.push(c));
      // Flushes run one after another and all finish before the final status, so clients see outputs in order.
      let flushes = Promise.resolve();
      const flusher = setInterval(() => {
        flushes = flushes.then(() => this.flush(session.id, item.cellId, collector, pending)).catch((err: unknown) => console.error("[execution] flush failed:", err));
      }, FLUSH_MS);
      let outcome: ExecOutcome;
      try {
        outcome = await live.kernel.execute(item.code, collector, { timeoutMs: this.config.cell.timeoutMs });
      } catch (err) {
        // The kernel is gone for good (it did not come back after dying): say so, and give the session a new one.
        if (!(err instanceof AppError)) throw err;
        await this.kernels.shutdown(session.id, err.message);
        return await this.finish(session, item, { status: "error", error: `${err.message}; the next cell starts a new kernel.` }, pending, collector.outputs);
      } finally {
        clearInterval(flusher);
        clearTimeout(rowMark);
        await flushes;
        await rowMarked;
      }
      return await this.settle(session, item, outcome, collector, pending);
    } finally {
      release();
    }
  }

  /** Re-runs the session's earlier successful cells silently, to restore variables in a new kernel. */
  private async replay(session: SessionRow, beforeCellId: string, kernel: KernelSession) {
    const earlier = await this.db
      .selectFrom("cells")
      .select(["id", "code"])
      .where("session_id", "=", session.id)
      .where("status", "=", "ok")
      .where("id", "!=", beforeCellId)
      .orderBy("position")
      .execute();
    for (const c of earlier) {
      const sink = new OutputCollector(this.config.cell.outputMaxBytes, () => {});
      const r = await kernel.execute(c.code, sink, { timeoutMs: this.config.cell.timeoutMs, silent: true });
      if (r.kind !== "ok") break;
    }
  }

  private async settle(session: SessionRow, item: Queued, outcome: ExecOutcome, collector: OutputCollector, pending: OutputChange[]) {
    const limitS = Math.round(this.config.cell.timeoutMs / 1000);
    switch (outcome.kind) {
      case "ok":
        return this.finish(session, item, { status: "ok", executionCount: outcome.executionCount }, pending, collector.outputs);
      case "error":
        // A KeyboardInterrupt nobody here asked for: the kernel is being shut down under us (EG interrupts
        // before it stops a kernel). Let it go, so the next cell gets a new kernel rather than a dead one.
        if (outcome.ename === "KeyboardInterrupt" && !this.interrupting.has(session.id)) await this.kernels.verify(session.id, 3_000);
        return this.finish(session, item, { status: "error", executionCount: outcome.executionCount, error: `${outcome.ename}: ${outcome.evalue}` }, pending, collector.outputs);
      case "timeout": {
        let error = `Time limit: the cell ran longer than ${limitS} s and was interrupted.`;
        if (!outcome.interrupted) {
          // The kernel ignored the interrupt (busy in C code, or catching KeyboardInterrupt): replace it.
          await this.kernels.shutdown(session.id, "restarted: a cell ignored the interrupt after the time limit");
          error = `Time limit: the cell ran longer than ${limitS} s and ignored the interrupt, so the kernel was restarted (variables were lost).`;
        }
        collector.add({ output_type: "error", ename: "TimeLimitExceeded", evalue: error, traceback: [error] });
        return this.finish(session, item, { status: "error", error }, pending, collector.outputs);
      }
      case "died": {
        await this.kernels.verify(session.id); // restarted by the gateway (kept), or gone for good (forgotten)
        const error =
          "The kernel died while running this cell (most often: it ran out of memory, limit " +
          "applies per session). It was restarted empty: variables are lost, history and files are intact.";
        collector.add({ output_type: "error", ename: "KernelDied", evalue: error, traceback: [error] });
        return this.finish(session, item, { status: "error", error }, pending, collector.outputs);
      }
      default:
        return assertNever(outcome, "execution outcome");
    }
  }

  private async flush(sessionId: string, cellId: string, collector: OutputCollector, pending: OutputChange[]) {
    if (pending.length === 0) return;
    const changes = pending.splice(0);
    this.publish(sessionId, changes.map((change) => ({ type: "cell.output", cellId, change })));
    await this.db.updateTable("cells").set({ outputs: JSON.stringify(collector.outputs) }).where("id", "=", cellId).execute();
  }

  /**
   * Events go out at once and are stored just after, in call order (see EventBus); nothing here waits for
   * the storing, which is the bus's job. A failure to store is logged, not lost silently.
   */
  private publish(sessionId: string, events: TSessionEvent[]): void {
    this.events.publish(sessionId, events).catch((err: unknown) => console.error("[execution] storing events failed:", err));
  }

  private async finish(
    session: SessionRow,
    item: Queued,
    result: { status: CellStatus; executionCount?: number | null; error?: string },
    pending: OutputChange[],
    outputs: TOutput[] = [],
  ): Promise<CellDto> {
    const endedAt = new Date();
    const changes: TSessionEvent[] = pending.splice(0).map((change) => ({ type: "cell.output", cellId: item.cellId, change }));
    // Sent before the row is written, so clients see the result without waiting for the database; this
    // call returns (and a poller sees the row) once both are done.
    this.publish(session.id, [...changes, this.statusEvent(item.cellId, result.status, result.executionCount ?? null, result.error ?? null, item.startedAt, endedAt)]);
    // Let the event reach subscribers' sockets first: PGlite runs on this thread and would hold it back.
    await new Promise<void>((r) => setImmediate(r));
    // One statement for both rows (history orders sessions by last activity): each costs a round trip, and
    // on PGlite a turn of this thread, which the next cell's request would wait behind.
    const row = await this.db
      .with("touched", (db) => db.updateTable("analysis_sessions").set({ updated_at: endedAt }).where("id", "=", session.id))
      .updateTable("cells")
      .set({
        status: result.status,
        outputs: JSON.stringify(outputs),
        execution_count: result.executionCount ?? null,
        error: result.error ?? null,
        ...(item.startedAt ? { started_at: item.startedAt } : {}),
        ended_at: endedAt,
      })
      .where("id", "=", item.cellId)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound("Cell"); // deleted with its session while running
    return toCellDto(row);
  }

  private statusEvent(cellId: string, status: CellStatus, executionCount: number | null, error: string | null, startedAt: Date | string | null, endedAt: Date | null): TSessionEvent {
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return { type: "cell.status", cellId, status, executionCount, error, startedAt: iso(startedAt), endedAt: iso(endedAt) };
  }
}
