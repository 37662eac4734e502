import { performance } from "node:perf_hooks";
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "../src/routers/_app.js";

/**
 * The real client stack of the web UI: httpLink for queries and mutations, SSE for subscriptions.
 * Node 20 has no global EventSource, hence the `eventsource` package; its `fetch` hook is where the
 * Bearer token goes, since an EventSource cannot set headers. Origin is sent as a browser would.
 */
export function createLabClient(url: string, token: string | null) {
  const headers: Record<string, string> = { origin: url, ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({
          url: `${url}/trpc`,
          EventSource,
          eventSourceOptions: {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init.headers, ...headers } }),
          },
        }),
        false: httpLink({ url: `${url}/trpc`, headers }),
      }),
    ],
  });
}
export type LabClient = ReturnType<typeof createLabClient>;

export interface Finished {
  status: string;
  /** performance.now() when the final cell.status event arrived. */
  at: number;
}

/**
 * An open `sessions.events` subscription that notes when each cell reaches a final status. The event
 * can arrive before `run` returns the cell's id, so finished cells are kept until someone asks.
 */
export class CellWatcher {
  private finished = new Map<string, Finished>();
  private waiters = new Map<string, (f: Finished) => void>();
  private failure: Error | null = null;
  private readonly unsubscribe: () => void;
  readonly started: Promise<void>;

  constructor(client: LabClient, sessionId: string) {
    let onStarted = () => {};
    this.started = new Promise((resolve) => (onStarted = resolve));
    const sub = client.sessions.events.subscribe(
      { sessionId, lastEventId: null },
      {
        onStarted,
        onData: ({ data }) => {
          if (data.type !== "cell.status" || data.status === "queued" || data.status === "running") return;
          const f = { status: data.status, at: performance.now() };
          const waiter = this.waiters.get(data.cellId);
          if (waiter) waiter(f);
          else this.finished.set(data.cellId, f);
        },
        onError: (err) => (this.failure = err),
      },
    );
    this.unsubscribe = () => sub.unsubscribe();
  }

  /** Resolves when the cell finished; throws if it did not end `ok` or took longer than `timeoutMs`. */
  async done(cellId: string, timeoutMs = 60_000): Promise<Finished> {
    const f =
      this.finished.get(cellId) ??
      (await new Promise<Finished>((resolve, reject) => {
        const t = setTimeout(() => {
          this.waiters.delete(cellId);
          reject(this.failure ?? new Error(`cell ${cellId} did not finish within ${timeoutMs} ms`));
        }, timeoutMs);
        this.waiters.set(cellId, (x) => {
          clearTimeout(t);
          this.waiters.delete(cellId);
          resolve(x);
        });
      }));
    this.finished.delete(cellId);
    if (f.status !== "ok") throw new Error(`cell ${cellId} ended ${f.status}`);
    return f;
  }

  close(): void {
    this.unsubscribe();
  }
}
