import path from "node:path";
import { AppError } from "../errors.js";
import { openArtifact } from "../services/datasets-artifacts.js";
import { ORIGINAL, datasetDir, safeFileName } from "../services/datasets-store.js";
import { findOwnedDataset } from "../services/datasets.js";
import { findOwnedSession } from "../services/sessions.js";
import { authenticateRequest, type ExtraRoutes } from "./server.js";
import { reject } from "./uploads.js";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";

const ARTIFACT = /^\/api\/sessions\/([0-9a-f-]{36})\/artifacts\/(.+)$/;
const DATASET_FILE = /^\/api\/datasets\/([0-9a-f-]{36})\/file$/;

/**
 * GET /api/sessions/:id/artifacts/<path> — a file the kernel wrote; GET /api/datasets/:id/file — an upload
 * as it was sent. Both are hostile content (a ".csv" that is really HTML with script, an SVG…): always an
 * attachment, octet-stream, nosniff and a sandbox CSP, so a browser never renders them on our origin.
 */
export const fileRoutes: ExtraRoutes = async (req, res, { app, url }) => {
  const artifact = ARTIFACT.exec(url.pathname);
  const dataset = DATASET_FILE.exec(url.pathname);
  if ((!artifact && !dataset) || req.method !== "GET") return false;
  const auth = await authenticateRequest(app, req);
  if (!auth) return reject(req, res, 401, "UNAUTHORIZED", "Sign in first");
  try {
    if (artifact) {
      const session = await findOwnedSession(app.db, auth.user.id, artifact[1]!);
      let rel: string;
      try {
        rel = decodeURIComponent(artifact[2]!);
      } catch {
        throw new AppError("BAD_REQUEST", "Invalid artifact path");
      }
      const { fh, size, name } = await openArtifact(app.config.paths.workspaces, session, rel);
      res.writeHead(200, attachmentHeaders(name, size));
      await pipeline(fh.createReadStream({ autoClose: true }), res);
    } else {
      const row = await findOwnedDataset(app.db, auth.user.id, dataset![1]!);
      const file = path.join(datasetDir(app.config.datasets.dir, row.user_id, row.id), ORIGINAL);
      res.writeHead(200, attachmentHeaders(row.name, Number(row.size_bytes)));
      await pipeline(createReadStream(file), res);
    }
  } catch (err) {
    if (!(err instanceof AppError) || res.headersSent) throw err;
    return reject(req, res, err.code === "NOT_FOUND" ? 404 : 400, err.code === "NOT_FOUND" ? "NOT_FOUND" : "BAD_REQUEST", err.message);
  }
  return true;
};

export function attachmentHeaders(name: string, size: number): Record<string, string | number> {
  const safe = safeFileName(name);
  return {
    "Content-Type": "application/octet-stream",
    "Content-Length": size,
    // RFC 6266: an ASCII fallback plus the UTF-8 name (Chinese names stay readable).
    "Content-Disposition": `attachment; filename="${safe.replace(/[^\x20-\x7e]|"/g, "_")}"; filename*=UTF-8''${encodeURIComponent(safe)}`,
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, no-store",
  };
}
