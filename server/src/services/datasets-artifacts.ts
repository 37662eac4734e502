import { constants } from "node:fs";
import { type FileHandle, lstat, open, readdir, readlink, realpath } from "node:fs/promises";
import path from "node:path";
import type { SessionRow } from "../db/schema.js";
import { AppError, notFound } from "../errors.js";

/**
 * Files a session's kernels wrote in its workspace (<workspace>/work, /workspace in the sandbox).
 * The kernel is the attacker and owns that folder: it can plant symlinks (to /etc/shadow, to another
 * session), FIFOs, or swap a folder for a link between our check and our open. So listing never follows
 * links, and downloading opens with O_NOFOLLOW, then asks the kernel (/proc/self/fd) where the opened
 * file really is, and serves it only if that is inside the workspace and a regular file.
 */
const MAX_ENTRIES = 2000;
const MAX_DEPTH = 8;

export const workDir = (workspacesDir: string, session: SessionRow) => path.join(workspacesDir, session.workspace_id, "work");

export interface ArtifactDto { path: string; sizeBytes: number; modifiedAt: string }

export async function listArtifacts(workspacesDir: string, session: SessionRow): Promise<{ artifacts: ArtifactDto[]; truncated: boolean }> {
  const root = workDir(workspacesDir, session);
  const artifacts: ArtifactDto[] = [];
  let truncated = false;
  const walk = async (rel: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (artifacts.length >= MAX_ENTRIES) { truncated = true; return; }
      const r = rel ? `${rel}/${e.name}` : e.name;
      // Dot folders are tool caches (.ipynb_checkpoints, .cache, matplotlib's); links and devices are never listed.
      if (e.isDirectory() && !e.name.startsWith(".") && depth < MAX_DEPTH) await walk(r, depth + 1);
      else if (e.isFile()) {
        const st = await lstat(path.join(root, r)).catch(() => null);
        if (st?.isFile()) artifacts.push({ path: r, sizeBytes: st.size, modifiedAt: st.mtime.toISOString() });
      }
    }
  };
  await walk("", 0);
  return { artifacts, truncated };
}

/** A relative path as the client names it: no absolute paths, no "..", no NUL, no empty segments. */
export function checkRelativePath(rel: string): string {
  const parts = rel.split("/");
  if (!rel || rel.length > 4096 || rel.includes("\0") || rel.includes("\\") || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new AppError("BAD_REQUEST", "Invalid artifact path");
  }
  return parts.join("/");
}

export async function openArtifact(workspacesDir: string, session: SessionRow, rel: string): Promise<{ fh: FileHandle; size: number; name: string }> {
  const root = await realpath(workDir(workspacesDir, session)).catch(() => null);
  if (!root) throw notFound("Artifact");
  const clean = checkRelativePath(rel);
  let fh: FileHandle;
  try {
    // O_NONBLOCK: a FIFO planted by the kernel must not hang the request on open.
    fh = await open(path.join(root, clean), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    throw notFound("Artifact");
  }
  try {
    const real = await readlink(`/proc/self/fd/${fh.fd}`);
    const st = await fh.stat();
    if (!real.startsWith(root + path.sep) || !st.isFile()) throw notFound("Artifact");
    return { fh, size: st.size, name: path.basename(real) };
  } catch (err) {
    await fh.close();
    throw err;
  }
}
