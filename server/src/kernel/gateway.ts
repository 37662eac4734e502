import { KernelConnection, ServerConnection } from "@jupyterlab/services";
import WebSocket from "ws";
import { z } from "zod";
import { AppError } from "../errors.js";
import { KernelSession } from "./session.js";

export interface GatewaySettings {
  /** http://host:port of Enterprise Gateway. */
  baseUrl: string;
  token: string;
  kernelName: string;
  /** Username EG records for the kernel; EG refuses `root`. Set by the server, never by a client. */
  username: string;
  fetch?: typeof fetch;
  /** Largest websocket message accepted; the gateway already replaces larger outputs with a marker. */
  maxMessageBytes: number;
}

/**
 * @jupyterlab/services 7 sends kernel_info on every (re)connect as `void requestKernelInfo().then(…)`, with no
 * rejection handler. When the kernel dies during that reconnect, the request's future is cancelled and the
 * rejection is unhandled, which ends a Node 20 process: one user's out-of-memory kernel would take the server
 * down. A cancelled kernel_info resolves `undefined` instead, as the library already does for a disposed
 * connection; every caller (the library's and KernelSession's) treats that as "no answer yet".
 */
const requestKernelInfo = KernelConnection.prototype.requestKernelInfo;
KernelConnection.prototype.requestKernelInfo = function (this: KernelConnection) {
  return requestKernelInfo.call(this).catch((err: unknown) => {
    if (err instanceof Error && /^Canceled future for kernel_info_request/.test(err.message)) return undefined;
    throw err;
  });
};

const ZKernelModelSchema = z.object({ id: z.string().min(1), name: z.string(), execution_state: z.string().optional() });

/** Timeouts on the gateway's REST calls: a gateway that hangs must not hang a user's request forever. */
const REST_TIMEOUT_MS = 60_000;

/**
 * Talks to Enterprise Gateway: REST for the kernel lifecycle, one websocket per kernel for messages.
 * The token travels in the Authorization header only (a token in a URL lands in logs).
 */
export class GatewayClient {
  private readonly serverSettings: ServerConnection.ISettings;

  constructor(private readonly settings: GatewaySettings) {
    const { token, maxMessageBytes } = settings;
    // ws lets us set headers on the upgrade request; browsers' WebSocket cannot, hence this subclass.
    class AuthedWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { Authorization: `token ${token}` }, perMessageDeflate: false, maxPayload: maxMessageBytes + 1024 * 1024 });
      }
    }
    this.serverSettings = ServerConnection.makeSettings({
      baseUrl: settings.baseUrl,
      wsUrl: settings.baseUrl.replace(/^http/, "ws"),
      token,
      appendToken: false,
      WebSocket: AuthedWebSocket as unknown as typeof globalThis.WebSocket,
    });
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const f = this.settings.fetch ?? fetch;
    try {
      return await f(new URL(path, this.settings.baseUrl), {
        ...init,
        headers: { Authorization: `token ${this.settings.token}`, "Content-Type": "application/json" },
        signal: AbortSignal.timeout(REST_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new AppError("UNAVAILABLE", "The kernel gateway is not reachable", { cause });
    }
  }

  /** Starts a sandboxed kernel bound to one workspace folder. */
  async startKernel(workspaceId: string): Promise<string> {
    const env = { KERNEL_USERNAME: this.settings.username, KERNEL_WORKSPACE_ID: workspaceId };
    const res = await this.request("api/kernels", {
      method: "POST",
      body: JSON.stringify({ name: this.settings.kernelName, env }),
    });
    const body: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      throw new AppError("UNAVAILABLE", `The kernel could not be started (gateway answered ${res.status})`, {
        cause: new Error(JSON.stringify(body)),
      });
    }
    return ZKernelModelSchema.parse(body).id;
  }

  async kernelExists(id: string): Promise<boolean> {
    const res = await this.request(`api/kernels/${encodeURIComponent(id)}`);
    return res.ok;
  }

  async interrupt(id: string): Promise<void> {
    const res = await this.request(`api/kernels/${encodeURIComponent(id)}/interrupt`, { method: "POST" });
    if (!res.ok && res.status !== 404) throw new AppError("UNAVAILABLE", `Interrupt failed (${res.status})`);
  }

  /** Shuts a kernel down; a kernel that is already gone is fine. */
  async shutdownKernel(id: string): Promise<void> {
    const res = await this.request(`api/kernels/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!res.ok && res.status !== 404) throw new AppError("UNAVAILABLE", `Shutdown failed (${res.status})`);
  }

  /** Opens the kernel's message channel and waits until the kernel answers kernel_info. */
  async connect(id: string, timeoutMs = 60_000): Promise<KernelSession> {
    const conn = new KernelConnection({
      model: { id, name: this.settings.kernelName },
      serverSettings: this.serverSettings,
      username: this.settings.username,
      handleComms: false,
    });
    const session = new KernelSession(conn, this);
    const stop = new AbortController();
    try {
      await Promise.race([session.ready(timeoutMs), this.failWhenGone(id, stop.signal)]);
    } catch (err) {
      session.dispose();
      throw err;
    } finally {
      stop.abort();
    }
    return session;
  }

  /**
   * A kernel that exits at once is retried by EG a few times and then forgotten; its websocket then just
   * 404s while the client keeps reconnecting. Asking EG about the kernel turns that into a prompt error.
   */
  private async failWhenGone(id: string, signal: AbortSignal): Promise<never> {
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, 1_000));
      if (!signal.aborted && !(await this.kernelExists(id).catch(() => true))) {
        throw new AppError("UNAVAILABLE", "The kernel exited while starting (the gateway log says why)");
      }
    }
    return new Promise<never>(() => {});
  }
}
