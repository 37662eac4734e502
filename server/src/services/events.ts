import type { Kysely } from "kysely";
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
   * Not in session_events (streamed model tokens): `id` is then the last persisted id before it, so a client
   * that reconnects resumes after that event and gets the persisted whole (task.answer) instead of the pieces.
   */
  transient?: true;
}

/**
 * Persist-then-notify: every event gets a bigserial id in session_events, so a client that reconnects
 * resumes from the last id it saw. Publishing is serialised per session so ids are emitted in order.
 * (Scale-out swaps the in-memory fan-out for LISTEN/NOTIFY; the ids already make that safe.)
 */
export class EventBus {
  private listeners = new Map<string, Set<(e: StoredEvent) => void>>();
  private chains = new Map<string, Promise<unknown>>();

  constructor(private readonly db: Kysely<Database>) {}

  publish(sessionId: string, events: TSessionEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const prev = this.chains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(async () => {
      const rows = await this.db
        .insertInto("session_events")
        .values(events.map((e) => ({ session_id: sessionId, type: e.type, payload: JSON.stringify(e) })))
        .returning("id")
        .execute();
      rows.forEach((r, i) => this.emit(sessionId, { id: String(r.id), event: events[i]! }));
    });
    const settled = next.catch(() => {});
    this.chains.set(sessionId, settled);
    void settled.then(() => this.chains.get(sessionId) === settled && this.chains.delete(sessionId));
    return next;
  }

  /**
   * Fans an event out to live subscribers without storing it. Emitted after any publish still in flight for
   * the session, so it never overtakes an event published before it; with none in flight, at once.
   */
  publishTransient(sessionId: string, event: TSessionEvent): void {
    if (!this.listeners.has(sessionId)) return;
    const pending = this.chains.get(sessionId);
    const send = () => this.emit(sessionId, { id: "", event, transient: true });
    if (pending) void pending.then(send);
    else send();
  }

  private emit(sessionId: string, e: StoredEvent): void {
    for (const l of this.listeners.get(sessionId) ?? []) l(e);
  }

  /** Live events after `lastEventId`: subscribe first, then back-fill from the table, so nothing falls between. */
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
    const onAbort = () => wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      let last = BigInt(lastEventId ?? "0");
      const backlog = await this.db
        .selectFrom("session_events")
        .select(["id", "payload"])
        .where("session_id", "=", sessionId)
        .where("id", ">", String(last))
        .orderBy("id")
        .execute();
      for (const row of backlog) {
        last = BigInt(row.id);
        yield { id: String(row.id), event: row.payload as unknown as TSessionEvent };
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
