import { type Kernel, KernelMessage } from "@jupyterlab/services";
import { AppError } from "../errors.js";
import type { GatewayClient } from "./gateway.js";
import { type OutputCollector, ZOutputSchema } from "./outputs.js";

export type KernelStatus = "starting" | "idle" | "busy" | "restarting" | "dead";

export type ExecOutcome =
  | { kind: "ok"; executionCount: number | null }
  | { kind: "error"; executionCount: number | null; ename: string; evalue: string }
  /** Over the wall-time limit; `interrupted` is false when the kernel ignored the interrupt. */
  | { kind: "timeout"; interrupted: boolean }
  /** The kernel process died mid-cell (out of memory, crash); the gateway restarts it empty. */
  | { kind: "died" };

const INTERRUPT_GRACE_MS = 5_000;
/** How often a running cell checks that its kernel still exists at the gateway. */
const WATCHDOG_MS = 5_000;
/** How long a kernel the gateway is restarting after a crash may take to answer again. */
const RECOVERY_MS = 60_000;

const withTimeout = <T>(p: Promise<T>, ms: number, message: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new AppError("TIMEOUT", message)), ms);
    p.then((v) => (clearTimeout(t), resolve(v)), (e: unknown) => (clearTimeout(t), reject(e)));
  });

/** One connected kernel. Turns Jupyter messages into outputs and outcomes; nothing above this sees a message. */
export class KernelSession {
  private deathListeners = new Set<() => void>();
  private statusListeners = new Set<(s: KernelStatus) => void>();

  constructor(
    private readonly conn: Kernel.IKernelConnection,
    private readonly gateway: GatewayClient,
  ) {
    conn.statusChanged.connect((_, status) => {
      const s = toStatus(status);
      for (const l of this.statusListeners) l(s);
      if (s === "restarting" || s === "dead") for (const l of this.deathListeners) l();
      if (s === "restarting" && !this.recovering) {
        const r = this.waitAlive(RECOVERY_MS).finally(() => {
          if (this.recovering === r) this.recovering = null;
        });
        r.catch(() => {}); // awaited (and reported) by the next execute
        this.recovering = r;
      }
    });
  }

  /** Set while the gateway brings a dead kernel back: a message sent before the new kernel listens is lost. */
  private recovering: Promise<void> | null = null;

  /** Polls kernel_info until the (restarted) kernel answers. */
  private async waitAlive(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      await sleep(200);
      const reply = await Promise.race([this.conn.requestKernelInfo().catch(() => undefined), sleep(2_000).then(() => undefined)]);
      if (reply) return;
    }
    throw new AppError("UNAVAILABLE", "The kernel did not come back after it died");
  }

  get id(): string {
    return this.conn.id;
  }

  /** Waits for kernel_info: a kernel that dies while starting would otherwise leave us waiting forever. */
  async ready(timeoutMs: number): Promise<void> {
    let removeDeath = () => {};
    // The gateway restarts a kernel that exits at once a few times, then gives up: either means it cannot start.
    const died = new Promise<never>((_, reject) => {
      const l = () => reject(new AppError("UNAVAILABLE", "The kernel exited while starting (the gateway log says why)"));
      this.deathListeners.add(l);
      removeDeath = () => this.deathListeners.delete(l);
    });
    try {
      await Promise.race([withTimeout(this.conn.info, timeoutMs, `The kernel did not answer within ${timeoutMs / 1000}s of starting`), died]);
    } finally {
      removeDeath();
    }
  }

  onStatus(listener: (s: KernelStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  async execute(code: string, sink: OutputCollector, opts: { timeoutMs: number; silent?: boolean }): Promise<ExecOutcome> {
    if (this.recovering) await this.recovering;
    const future = this.conn.requestExecute(
      { code, silent: opts.silent ?? false, store_history: !opts.silent, allow_stdin: false, stop_on_error: true },
      true,
    );
    future.onIOPub = (msg) => applyIOPub(msg, sink);

    let removeDeath = () => {};
    const died = new Promise<ExecOutcome>((resolve) => {
      const l = () => resolve({ kind: "died" });
      this.deathListeners.add(l);
      removeDeath = () => this.deathListeners.delete(l);
    });
    const done = future.done.then(
      (reply): ExecOutcome => {
        const c = reply.content;
        if (c.status === "ok") return { kind: "ok", executionCount: c.execution_count };
        if (c.status === "error") return { kind: "error", executionCount: c.execution_count, ename: c.ename, evalue: c.evalue };
        return { kind: "error", executionCount: null, ename: "Aborted", evalue: "The kernel aborted this cell" };
      },
      // A future is cancelled when the kernel restarts under it: that is a death, reported by `died`.
      () => died,
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), opts.timeoutMs)));
    // jupyter_server 1.x keeps the websocket open when a kernel is shut down or culled under us: nothing
    // would ever arrive. Ask the gateway now and then whether the kernel still exists.
    const watchdog = new AbortController();
    const vanished = this.whenGone(watchdog.signal).then((): ExecOutcome => ({ kind: "died" }));
    try {
      const first = await Promise.race([done, died, timedOut, vanished]);
      if (first !== "timeout") return first;
      await this.gateway.interrupt(this.id).catch(() => {});
      const after = await Promise.race([done, died, sleep(INTERRUPT_GRACE_MS).then(() => "ignored" as const)]);
      return { kind: "timeout", interrupted: after !== "ignored" && after.kind !== "died" };
    } finally {
      clearTimeout(timer);
      watchdog.abort();
      removeDeath();
      future.dispose();
    }
  }

  /** Resolves once the gateway no longer has this kernel; never, while it does (or until `signal`). */
  async whenGone(signal: AbortSignal, everyMs = WATCHDOG_MS): Promise<void> {
    while (!signal.aborted) {
      await sleep(everyMs);
      if (!signal.aborted && !(await this.gateway.kernelExists(this.id).catch(() => true))) return;
    }
    return new Promise<void>(() => {});
  }

  dispose(): void {
    this.deathListeners.clear();
    this.statusListeners.clear();
    this.conn.dispose();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function toStatus(s: Kernel.Status): KernelStatus {
  switch (s) {
    case "idle":
    case "busy":
    case "starting":
    case "restarting":
    case "dead":
      return s;
    case "autorestarting":
      return "restarting";
    case "unknown":
    case "terminating":
      return "starting";
    default:
      return "starting";
  }
}

/**
 * IOPub → outputs. https://jupyter-client.readthedocs.io/en/stable/messaging.html#messages-on-the-iopub-pub-sub-channel
 * Content is outside data: it is parsed, never cast. `transient` (display ids) is kept out of stored outputs.
 */
function applyIOPub(msg: KernelMessage.IIOPubMessage, sink: OutputCollector): void {
  if (KernelMessage.isClearOutputMsg(msg)) {
    sink.clear(msg.content.wait);
  } else if (KernelMessage.isUpdateDisplayDataMsg(msg)) {
    const id = displayId(msg.content);
    if (id) sink.update(id, { ...msg.content.data }, { ...msg.content.metadata });
  } else if (
    KernelMessage.isStreamMsg(msg) ||
    KernelMessage.isDisplayDataMsg(msg) ||
    KernelMessage.isExecuteResultMsg(msg) ||
    KernelMessage.isErrorMsg(msg)
  ) {
    const { transient: _t, ...content } = msg.content as Record<string, unknown>;
    const parsed = ZOutputSchema.safeParse({ output_type: msg.header.msg_type, metadata: {}, ...content });
    if (parsed.success) sink.add(parsed.data, displayId(msg.content));
  }
  // status, execute_input, comm_* and others carry no cell output.
}

function displayId(content: object): string | undefined {
  if (!("transient" in content) || typeof content.transient !== "object" || content.transient === null) return undefined;
  const t = content.transient as Record<string, unknown>;
  return typeof t.display_id === "string" ? t.display_id : undefined;
}
