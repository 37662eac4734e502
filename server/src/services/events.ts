import { type Kysely, sql } from "kysely";
import { jsonb } from "../db/json.js";
import type { CellStatus, Database } from "../db/schema.js";
import type { OutputChange } from "../kernel/outputs.js";
import type { CellDto } from "./dto.js";
import type { TTaskEvent } from "./task-events.js";

/** Everything that happens in an analysis session, in order. The web UI, the CLI and (later) LLM runs share it. */
export type TSessionEvent =
  | { type: "cell.created"; cell: CellDto }
  | {
      type: "cell.status";
      cellId: string;
      status: CellStatus;
      executionCount: number | null;
      error: string | null;
      startedAt: string | null;
      endedAt: string | null;
    }
  | { type: "cell.output"; cellId: string; change: OutputChange }
  | { type: "kernel.status"; status: "starting" | "idle" | "busy" | "restarting" | "dead" | "stopped"; message?: string }
  | TTaskEvent;

export interface StoredEvent {
  id: string;
  event: TSessionEvent;
  /**
   * Not in session_events (streamed model tokens): `id` is then the id of the event before it, so a client
   * that reconnects resumes after that event and gets the stored whole (task.answer) instead of the pieces.
   */
  transient?: true;
}

/** Ids reserved from session_events' sequence per round trip; refilled in the background below LOW_WATER. */
const ID_BLOCK = 256;
const LOW_WATER = 64;
/** How long emitted events wait to be stored together; a client never waits for it. */
const WRITE_DELAY_MS = 10;
const FOREIGN_KEY_VIOLATION = "23503";

/**
 * Notify, then persist (write-behind): every event gets its bigserial id *before* it is stored, from a block
 * of ids this server reserved from session_events' sequence, so subscribers get it at once and the insert
 * (a batched one, every session's pending events together) happens off the path to the user. A client that
 * reconnects resumes from the last id it saw: events not yet stored are served from memory, so none falls
 * between. Publishing keeps call order per session; the promise `publish` returns settles once stored.
 * (Scale-out swaps the in-memory fan-out for LISTEN/NOTIFY after the insert; the ids already make that safe,
 * as a session's events all come from the server that holds its kernel.)
 */
export class EventBus {
  private listeners = new Map<string, Set<(e: StoredEvent) => void>>();
  /** Per session, publishes still waiting for ids: later ones queue behind them, keeping order. */
  private waiting = new Map<string, Promise<void>>();
  /** Emitted, not yet stored: what a subscriber's back-fill cannot read from the table yet. */
  private unstored = new Map<string, StoredEvent[]>();
  private ids: bigint[] = [];
  private reserving: Promise<void> | null = null;
  private batch: { sessionId: string; stored: StoredEvent[]; done: { resolve: () => void; reject: (err: unknown) => void } }[] = [];
  private writing: Promise<void> | null = null;

  constructor(private readonly db: Kysely<Database>) {}

  publish(sessionId: string, events: TSessionEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    let done!: { resolve: () => void; reject: (err: unknown) => void };
    const stored = new Promise<void>((resolve, reject) => (done = { resolve, reject }));
    const emit = () => {
      const rows = events.map((event) => ({ id: String(this.ids.shift()!), event }));
      const buffer = this.unstored.get(sessionId) ?? [];
      buffer.push(...rows);
      this.unstored.set(sessionId, buffer);
      for (const e of rows) this.emit(sessionId, e);
      this.batch.push({ sessionId, stored: rows, done });
      this.scheduleWrite();
      if (this.ids.length < LOW_WATER) void this.reserveIds().catch(() => {}); // the next publish will ask again
    };
    if (!this.waiting.has(sessionId) && this.ids.length >= events.length) {
      emit();
      return stored;
    }
    const prev = this.waiting.get(sessionId) ?? Promise.resolve();
    const turn = prev.then(async () => {
      while (this.ids.length < events.length) await this.reserveIds(events.length);
      emit();
    });
    turn.catch((err: unknown) => done.reject(err));
    const settled = turn.catch(() => {});
    this.waiting.set(sessionId, settled);
    void settled.then(() => this.waiting.get(sessionId) === settled && this.waiting.delete(sessionId));
    return stored;
  }

  /**
   * Fans an event out to live subscribers without storing it, after every event published before it (only
   * a publish waiting for ids can hold it back).
   */
  publishTransient(sessionId: string, event: TSessionEvent): void {
    if (!this.listeners.has(sessionId)) return;
    const send = () => this.emit(sessionId, { id: "", event, transient: true });
    const pending = this.waiting.get(sessionId);
    if (pending) void pending.then(send);
    else send();
  }

  private emit(sessionId: string, e: StoredEvent): void {
    for (const l of this.listeners.get(sessionId) ?? []) l(e);
  }

  private reserveIds(atLeast = 0): Promise<void> {
    this.reserving ??= (async () => {
      try {
        const n = Math.max(ID_BLOCK, atLeast);
        const { rows } = await sql<{ id: string }>`select nextval('session_events_id_seq')::text as id from generate_series(1, ${n})`.execute(this.db);
        this.ids.push(...rows.map((r) => BigInt(r.id)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      } finally {
        this.reserving = null;
      }
    })();
    return this.reserving;
  }

  /** One insert for everything emitted since the last one; the next waits for it (ids are fixed, order is not at stake). */
  private scheduleWrite(): void {
    if (this.writing) return;
    this.writing = (async () => {
      // Events come in bursts (a cell: created, running, outputs, status within a few ms): one insert for the
      // burst, after it, keeps the database off the path of the kernel's reply (PGlite runs on this thread).
      await new Promise<void>((r) => setTimeout(r, WRITE_DELAY_MS));
      while (this.batch.length) {
        const batch = this.batch.splice(0);
        try {
          await this.insert(batch);
          for (const b of batch) b.done.resolve();
        } catch (err) {
          // One publisher's bad rows (its session deleted meanwhile: its events go with it) must not take
          // the others' down: store each on its own, and tell each publisher how it went.
          for (const b of batch) {
            await (batch.length > 1 ? this.insert([b]) : Promise.reject(err)).then(b.done.resolve, (e: unknown) => {
              // Its session was deleted after the events went out: they went with it, nothing to store.
              if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION) b.done.resolve();
              else b.done.reject(e);
            });
          }
        } finally {
          for (const b of batch) this.forget(b.sessionId, b.stored);
        }
      }
    })().finally(() => {
      this.writing = null;
      if (this.batch.length) this.scheduleWrite();
    });
  }

  private async insert(batch: { sessionId: string; stored: StoredEvent[] }[]): Promise<void> {
    const values = batch.flatMap((b) => b.stored.map((e) => ({ id: e.id, session_id: b.sessionId, type: e.event.type, payload: jsonb(e.event) })));
    await this.db.insertInto("session_events").values(values).execute();
  }

  private forget(sessionId: string, stored: StoredEvent[]): void {
    const buffer = this.unstored.get(sessionId);
    if (!buffer) return;
    const gone = new Set(stored);
    const rest = buffer.filter((e) => !gone.has(e));
    if (rest.length) this.unstored.set(sessionId, rest);
    else this.unstored.delete(sessionId);
  }

  /** Resolves once everything published so far is stored (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.writing || this.waiting.size) {
      await Promise.all([this.writing, ...this.waiting.values()]);
    }
  }

  /**
   * Live events after `lastEventId`: subscribe first, note what is emitted but not yet stored, then back-fill
   * from the table, so nothing falls between.
   */
  async *subscribe(sessionId: string, lastEventId: string | null, signal?: AbortSignal): AsyncGenerator<StoredEvent> {
    const queue: StoredEvent[] = [];
    let wake: (() => void) | null = null;
    const listener = (e: StoredEvent) => {
      queue.push(e);
      wake?.();
    };
    const set = this.listeners.get(sessionId) ?? new Set();
    set.add(listener);
    this.listeners.set(sessionId, set);
    const unstored = [...(this.unstored.get(sessionId) ?? [])];
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      let last = BigInt(lastEventId ?? "0");
      const rows = await this.db
        .selectFrom("session_events")
        .select(["id", "payload"])
        .where("session_id", "=", sessionId)
        .where("id", ">", String(last))
        .orderBy("id")
        .execute();
      const backlog = [...rows.map((r) => ({ id: String(r.id), event: r.payload as unknown as TSessionEvent })), ...unstored];
      backlog.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
      for (const e of backlog) {
        if (BigInt(e.id) <= last) continue; // stored while we looked: in both
        last = BigInt(e.id);
        yield e;
      }
      while (!signal?.aborted) {
        const e = queue.shift();
        if (!e) {
          await new Promise<void>((r) => (wake = r));
          wake = null;
          continue;
        }
        if (e.transient) {
          yield { ...e, id: String(last) };
          continue;
        }
        if (BigInt(e.id) <= last) continue; // already sent by the back-fill
        last = BigInt(e.id);
        yield e;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    }
  }
}
