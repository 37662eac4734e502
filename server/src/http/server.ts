import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyTRPCRouter } from "@trpc/server";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { AppContext } from "../context.js";
import { validateAuthSession } from "../services/auth-sessions.js";
import { type UserDto, toUserDto } from "../services/auth.js";
import type { TrpcContext } from "../trpc.js";
import { readSessionToken, sessionCookie } from "./cookies.js";
import { checkTrpcRequest } from "./guards.js";

export type ExtraRoutes = (
  req: IncomingMessage,
  res: ServerResponse,
  ctx: { app: AppContext; url: URL },
) => Promise<boolean>;

export interface HttpHandlerOptions {
  /** The root router (routers/_app.ts); passed in so this module does not depend on every router. */
  router: AnyTRPCRouter;
  /**
   * Non-tRPC routes (downloads, uploads); return true when handled. The /trpc checks do not apply to
   * them: use authenticateRequest, and isAllowedOrigin (guards.ts) for anything that changes state.
   */
  extraRoutes?: ExtraRoutes;
  /** Largest accepted tRPC request body, in bytes. */
  maxBodySize?: number;
}

export interface AuthenticatedRequest {
  user: UserDto;
  token: string;
  source: "bearer" | "cookie";
  expiresAt: Date;
  /** The session's expiry was just extended; cookie sessions should be sent a fresh cookie. */
  renewed: boolean;
}

/** The signed-in user of a request (Bearer token or session cookie), or null. */
export async function authenticateRequest(app: AppContext, req: IncomingMessage): Promise<AuthenticatedRequest | null> {
  const found = readSessionToken(req.headers);
  if (!found) return null;
  const session = await validateAuthSession(app.db, found.token, app.config.auth);
  if (!session) return null;
  const { user, expiresAt, renewed } = session;
  return { user: toUserDto(user), token: found.token, source: found.source, expiresAt, renewed };
}

/** The socket's peer. X-Forwarded-For is not trusted: anyone can send it. */
export function clientIp(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

async function createTrpcContext(app: AppContext, req: IncomingMessage, res: ServerResponse): Promise<TrpcContext> {
  const setCookie = (cookie: string) => {
    // httpBatchStreamLink sends headers before procedures finish; auth calls must use httpLink/httpBatchLink.
    if (res.headersSent) throw new Error("Cannot set a cookie: response headers already sent (streamed response)");
    res.appendHeader("Set-Cookie", cookie);
  };
  try {
    const auth = await authenticateRequest(app, req);
    if (auth?.renewed && auth.source === "cookie") {
      setCookie(sessionCookie(auth.token, auth.expiresAt, app.config.auth.secureCookies));
    }
    return {
      app,
      user: auth?.user ?? null,
      authSessionToken: auth?.token ?? null,
      req: { ip: clientIp(req), origin: req.headers.origin ?? null, userAgent: req.headers["user-agent"] ?? null },
      resHeaders: { setCookie },
    };
  } catch (err) {
    // Context errors skip the procedure middleware, so they are logged here.
    console.error("[http] createContext failed:", err);
    throw err;
  }
}

/** Sends an error in tRPC's shape, so tRPC clients show the message. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  const keys = { 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_SUPPORTED", 415: "UNSUPPORTED_MEDIA_TYPE" } as const;
  const key = keys[status as keyof typeof keys] ?? "INTERNAL_SERVER_ERROR";
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.end(JSON.stringify({ error: { message, code: TRPC_ERROR_CODES_BY_KEY[key], data: { code: key, httpStatus: status } } }));
}

export function createHttpHandler(
  app: AppContext,
  opts: HttpHandlerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const trpc = createHTTPHandler({
    router: opts.router,
    basePath: "/trpc/",
    maxBodySize: opts.maxBodySize ?? 5_000_000,
    createContext: ({ req, res }) => createTrpcContext(app, req, res),
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) {
      const rejection = checkTrpcRequest(app.config, req);
      if (rejection) return sendError(res, rejection.status, rejection.message);
      return trpc(req, res);
    }
    if (opts.extraRoutes && (await opts.extraRoutes(req, res, { app, url }))) return;
    sendError(res, 404, "Not found");
  }

  return (req, res) => {
    // On every response, errors included: no MIME sniffing of JSON or downloads, no URLs leaked to other sites.
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "no-referrer");
    route(req, res).catch((err: unknown) => {
      console.error("[http] request failed:", err);
      if (res.headersSent) res.end();
      else sendError(res, 500, "Internal server error");
    });
  };
}
