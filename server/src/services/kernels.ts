import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Config } from "../config/index.js";
import type { Database, SessionRow } from "../db/schema.js";
import { AppError } from "../errors.js";
import type { GatewayClient } from "../kernel/gateway.js";
import type { KernelSession } from "../kernel/session.js";
import type { EventBus } from "./events.js";

interface Live {
  kernel: KernelSession;
  userId: string;
  /** True until the first cell runs on it, and again after the kernel died and came back empty. */
  fresh: boolean;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

interface Pooled {
  kernel: KernelSession;
  workspaceId: string;
}

/**
 * Owns the live kernels: one per analysis session, a warm pool, the per-user cap and idle culling.
 * The kernels table mirrors what is live so the cap is decided in SQL, under a lock on the user's row.
 */
export class KernelManager {
  private live = new Map<string, Live>();
  private starting = new Map<string, Promise<Live>>();
  /** Kernels being stopped, per session: a new start waits for the old kernel's row to go (one kernel per session). */
  private stopping = new Map<string, Promise<void>>();
  private pool: Pooled[] = [];
  private filling: Promise<void> | null = null;
  private closed = false;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly gateway: GatewayClient,
    private readonly config: Pick<Config, "kernels" | "paths">,
    private readonly events: EventBus,
  ) {}

  /** Kernels recorded by an earlier run of the server are not ours any more: stop them and forget them. */
  async init(): Promise<void> {
    const stale = await this.db.selectFrom("kernels").select("id").execute();
    await Promise.all(stale.map((k) => this.gateway.shutdownKernel(k.id).catch(() => {})));
    await this.db.deleteFrom("kernels").execute();
    this.fillPool();
    this.sweeper = setInterval(() => void this.sweep(), this.config.kernels.sweepMs);
    this.sweeper.unref();
  }

  /**
   * The gateway can lose a kernel without telling us (its backstop culler, failed restarts, an operator):
   * jupyter_server 1.x leaves the websocket open. Forget such kernels so the next cell starts a new one.
   */
  private async sweep(): Promise<void> {
    for (const [sessionId, live] of this.live) {
      if (live.busy) continue; // a running cell has its own watchdog
      const exists = await this.gateway.kernelExists(live.kernel.id).catch(() => true);
      if (!exists && this.live.get(sessionId) === live) await this.shutdown(sessionId, "the kernel was stopped by the gateway").catch(() => {});
    }
  }

  /** Kernels started and waiting in the warm pool (operators' metrics; the bench waits on it). */
  get warmKernels(): number {
    return this.pool.length;
  }

  isLive(sessionId: string): boolean {
    return this.live.has(sessionId);
  }

  /** The session's kernel, started (or taken from the pool) if it has none. */
  async acquire(session: SessionRow): Promise<Live> {
    const existing = this.live.get(session.id);
    if (existing) return existing;
    let pending = this.starting.get(session.id);
    if (!pending) {
      pending = this.start(session).finally(() => this.starting.delete(session.id));
      this.starting.set(session.id, pending);
    }
    return pending;
  }

  private async start(session: SessionRow): Promise<Live> {
    await this.stopping.get(session.id);
    const reservation = `pending:${randomUUID()}`;
    await this.reserve(session, reservation);
    try {
      const pooled = this.takeFromPool(session);
      let kernel: KernelSession;
      if (pooled) {
        kernel = pooled.kernel;
        await this.db.updateTable("analysis_sessions").set({ workspace_id: pooled.workspaceId }).where("id", "=", session.id).execute();
        session.workspace_id = pooled.workspaceId;
      } else {
        await this.events.publish(session.id, [{ type: "kernel.status", status: "starting" }]);
        kernel = await this.gateway.connect(await this.gateway.startKernel(session.workspace_id));
      }
      await this.db.updateTable("kernels").set({ id: kernel.id, workspace_id: session.workspace_id }).where("id", "=", reservation).execute();
      const live: Live = { kernel, userId: session.user_id, fresh: true, busy: false };
      kernel.onStatus((status) => {
        if (status === "restarting") live.fresh = true; // died and came back empty
        // The gateway gave up on it (restarts failed, or its backstop culler): forget it, the next cell starts anew.
        if (status === "dead" && this.live.get(session.id) === live) void this.shutdown(session.id, "the kernel died and could not be restarted").catch(() => {});
        // busy/idle flip on every cell and the cell's own status already says it: only rarer changes are events.
        if (status !== "busy" && status !== "idle") void this.events.publish(session.id, [{ type: "kernel.status", status }]).catch(() => {});
      });
      this.live.set(session.id, live);
      this.armIdle(session.id, live);
      this.fillPool();
      return live;
    } catch (err) {
      await this.db.deleteFrom("kernels").where("id", "=", reservation).execute();
      throw err;
    }
  }

  /** The per-user cap, atomic: the user's row lock serialises concurrent starts across requests and servers. */
  private async reserve(session: SessionRow, reservation: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.selectFrom("users").select("id").where("id", "=", session.user_id).forUpdate().executeTakeFirstOrThrow();
      const { n } = await trx
        .selectFrom("kernels")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("user_id", "=", session.user_id)
        .executeTakeFirstOrThrow();
      const cap = this.config.kernels.perUser;
      if (Number(n) >= cap) {
        throw new AppError(
          "TOO_MANY_REQUESTS",
          `You already have ${cap} running kernels (the limit). Stop a session's kernel, or wait for idle ones to be culled.`,
        );
      }
      await trx
        .insertInto("kernels")
        .values({ id: reservation, session_id: session.id, user_id: session.user_id, workspace_id: session.workspace_id })
        .execute();
    });
  }

  /** A pooled kernel works for a session that has no files yet: it adopts the pooled kernel's (empty) workspace. */
  private takeFromPool(session: SessionRow): Pooled | undefined {
    if (existsSync(path.join(this.config.paths.workspaces, session.workspace_id))) return undefined;
    return this.pool.shift();
  }

  private fillPool(): void {
    if (this.filling || this.closed) return;
    this.filling = (async () => {
      while (!this.closed && this.pool.length < this.config.kernels.poolSize) {
        const workspaceId = randomUUID();
        const kernel = await this.gateway.connect(await this.gateway.startKernel(workspaceId));
        if (this.closed) {
          await this.stopKernel(kernel);
          return;
        }
        this.pool.push({ kernel, workspaceId });
      }
    })()
      .catch((err: unknown) => console.error("[kernels] could not fill the warm pool:", err))
      .finally(() => (this.filling = null));
  }

  /**
   * Forgets the session's kernel if the gateway no longer has it, waiting up to `waitMs` for it to go
   * (a shutdown under way still lists the kernel for a moment). Only on unhappy paths: one REST call.
   */
  async verify(sessionId: string, waitMs = 0): Promise<void> {
    const live = this.live.get(sessionId);
    if (!live) return;
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (!(await this.gateway.kernelExists(live.kernel.id).catch(() => true))) break;
      if (Date.now() >= deadline) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (this.live.get(sessionId) === live) await this.shutdown(sessionId, "the kernel was stopped by the gateway");
  }

  /** Marks a kernel busy (no culling) until the returned function is called. */
  use(sessionId: string, live: Live): () => void {
    live.busy = true;
    clearTimeout(live.idleTimer);
    return () => {
      live.busy = false;
      live.fresh = false;
      this.armIdle(sessionId, live);
    };
  }

  private armIdle(sessionId: string, live: Live): void {
    clearTimeout(live.idleTimer);
    live.idleTimer = setTimeout(() => {
      if (!live.busy) void this.shutdown(sessionId, "culled after being idle").catch(() => {});
    }, this.config.kernels.idleMs);
    live.idleTimer.unref();
  }

  async interrupt(sessionId: string): Promise<void> {
    const live = this.live.get(sessionId);
    if (live) await this.gateway.interrupt(live.kernel.id);
  }

  async shutdown(sessionId: string, reason: string): Promise<void> {
    const live = this.live.get(sessionId);
    if (!live) return;
    this.live.delete(sessionId);
    clearTimeout(live.idleTimer);
    const stopped = this.stopKernel(live.kernel);
    const settled: Promise<void> = stopped
      .catch(() => {})
      .finally(() => {
        if (this.stopping.get(sessionId) === settled) this.stopping.delete(sessionId);
      });
    this.stopping.set(sessionId, settled);
    await stopped;
    await this.events.publish(sessionId, [{ type: "kernel.status", status: "stopped", message: reason }]).catch(() => {});
  }

  private async stopKernel(kernel: KernelSession): Promise<void> {
    kernel.dispose();
    await this.gateway.shutdownKernel(kernel.id).catch(() => {});
    await this.db.deleteFrom("kernels").where("id", "=", kernel.id).execute();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.filling;
    const sessions = [...this.live.keys()];
    await Promise.all(sessions.map((s) => this.shutdown(s, "server stopping")));
    await Promise.all(this.pool.splice(0).map((p) => this.stopKernel(p.kernel)));
  }
}
