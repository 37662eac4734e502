import type { IncomingMessage, ServerResponse } from "node:http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import { AppError } from "../errors.js";
import { ZEncodingSchema } from "../services/datasets-types.js";
import { authenticateRequest, type ExtraRoutes } from "./server.js";
import { isAllowedOrigin } from "./guards.js";

/**
 * POST /api/datasets?name=<file name>[&encoding=gb18030] with the file as the raw body.
 *
 * The body streams to disk (services/datasets-store.ts): never buffered, hashed and size-checked as it
 * arrives. Content-Type must be application/octet-stream: a cross-site <form> can only send urlencoded,
 * multipart or text/plain, so it can never reach this route; a foreign Origin is refused as well.
 * Progress is the client's own (XHR upload events); a cancelled request deletes the partial file.
 */
export const uploadRoutes: ExtraRoutes = async (req, res, { app, url }) => {
  if (url.pathname !== "/api/datasets") return false;
  if (req.method !== "POST") return reject(req, res, 405, "METHOD_NOT_SUPPORTED", "Upload with POST");
  if (!isAllowedOrigin(app.config, req)) return reject(req, res, 403, "FORBIDDEN", "Origin not allowed");
  if ((req.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase() !== "application/octet-stream") {
    return reject(req, res, 415, "UNSUPPORTED_MEDIA_TYPE", "Send the file as application/octet-stream");
  }
  const auth = await authenticateRequest(app, req);
  if (!auth) return reject(req, res, 401, "UNAUTHORIZED", "Sign in first");
  const name = url.searchParams.get("name") ?? "";
  const encoding = ZEncodingSchema.safeParse(url.searchParams.get("encoding") ?? undefined);
  if (!name || name.length > 1000) return reject(req, res, 400, "BAD_REQUEST", "Give the file's name as ?name=");
  if (url.searchParams.has("encoding") && !encoding.success) {
    return reject(req, res, 400, "BAD_REQUEST", `Unknown encoding; one of ${ZEncodingSchema.options.join(", ")}`);
  }
  const length = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
  try {
    const result = await app.services.datasets.upload(auth.user.id, { name, body: req, encoding: encoding.data, declaredBytes: length });
    sendJson(res, result.deduplicated ? 200 : 201, result);
  } catch (err) {
    if (!(err instanceof AppError) || err.code === "INTERNAL") throw err;
    reject(req, res, STATUS[err.code] ?? 400, err.code === "PAYLOAD_TOO_LARGE" ? "PAYLOAD_TOO_LARGE" : codeKey(err.code), err.message);
  }
  return true;
};

const STATUS: Partial<Record<AppError["code"], number>> = { BAD_REQUEST: 400, NOT_FOUND: 404, PAYLOAD_TOO_LARGE: 413, FORBIDDEN: 403, CONFLICT: 409 };
const codeKey = (code: AppError["code"]) => (code in TRPC_ERROR_CODES_BY_KEY ? code : "BAD_REQUEST") as keyof typeof TRPC_ERROR_CODES_BY_KEY;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

/** An error in tRPC's shape. If the body was not read, the connection closes rather than draining gigabytes. */
export function reject(req: IncomingMessage, res: ServerResponse, status: number, key: keyof typeof TRPC_ERROR_CODES_BY_KEY, message: string): true {
  if (!req.readableEnded) res.setHeader("Connection", "close");
  sendJson(res, status, { error: { message, code: TRPC_ERROR_CODES_BY_KEY[key], data: { code: key, httpStatus: status } } });
  if (!req.readableEnded) res.once("finish", () => req.destroy());
  return true;
}
