import type { ExtraRoutes } from "./server.js";
import { authenticateRequest, sendError } from "./server.js";
import { AppError } from "../errors.js";
import { notebookDatasets } from "../services/datasets-attach.js";
import { exportNotebook, notebookFilename } from "../services/notebook.js";
import { findOwnedSession } from "../services/sessions.js";

const NOTEBOOK_PATH = /^\/api\/sessions\/([0-9a-f-]{36})\/notebook\.ipynb$/;

/**
 * GET /api/sessions/:id/notebook.ipynb — the session as a download. Always an attachment with nosniff:
 * the notebook carries hostile HTML outputs and must never render on our origin.
 */
export const downloadRoutes: ExtraRoutes = async (req, res, { app, url }) => {
  const m = NOTEBOOK_PATH.exec(url.pathname);
  if (!m || req.method !== "GET") return false;
  const auth = await authenticateRequest(app, req);
  if (!auth) {
    sendError(res, 401, "Sign in first");
    return true;
  }
  try {
    const session = await findOwnedSession(app.db, auth.user.id, m[1]!);
    const nb = await exportNotebook(app.db, session, app.services.environment, await notebookDatasets(app.db, session.id));
    const name = notebookFilename(session.title);
    res.writeHead(200, {
      "Content-Type": "application/x-ipynb+json",
      // RFC 6266: an ASCII fallback plus the UTF-8 name (Chinese titles stay readable).
      "Content-Disposition": `attachment; filename="${name.replace(/[^\x20-\x7e]|"/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    });
    res.end(JSON.stringify(nb, null, 1));
  } catch (err) {
    if (err instanceof AppError && err.code === "NOT_FOUND") sendError(res, 404, err.message);
    else throw err;
  }
  return true;
};
