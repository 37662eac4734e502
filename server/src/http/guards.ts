import type { IncomingMessage } from "node:http";
import type { Config } from "../config/index.js";

export interface Rejection {
  status: 403 | 405 | 415;
  message: string;
}

/**
 * True when the request carries no Origin (curl, the CLI, same-origin GETs) or one we serve.
 * Browsers always send Origin on cross-site POSTs, EventSource and WebSocket, and "null" from
 * sandboxed output frames, so those can never pass.
 */
export function isAllowedOrigin(config: Config, req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin === undefined || config.allowedOrigins.includes(origin);
}

/**
 * Cross-site request forgery defence for /trpc. A form can only POST text/plain, urlencoded or
 * multipart without a CORS preflight, so mutations accept JSON only; a foreign Origin is refused
 * on every method, which also covers subscriptions (GET + text/event-stream).
 */
export function checkTrpcRequest(config: Config, req: IncomingMessage): Rejection | null {
  const method = req.method ?? "GET";
  if (!["GET", "HEAD", "POST"].includes(method)) return { status: 405, message: `Method ${method} not allowed` };
  if (method === "POST" && mediaType(req.headers["content-type"]) !== "application/json") {
    return { status: 415, message: "Requests must be sent as application/json" };
  }
  if (!isAllowedOrigin(config, req)) return { status: 403, message: "Origin not allowed" };
  return null;
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";", 1)[0]!.trim().toLowerCase();
}
