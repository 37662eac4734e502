import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { AppContext } from "../../src/context.js";
import { fileRoutes } from "../../src/http/artifacts.js";
import { downloadRoutes } from "../../src/http/downloads.js";
import { createHttpHandler } from "../../src/http/server.js";
import { uploadRoutes } from "../../src/http/uploads.js";
import { appRouter } from "../../src/routers/_app.js";
import { REPO_ROOT } from "./app.js";

/** Writes the dataset fixtures (server/test/fixtures/make_fixtures.py, kernel venv python) into a temp folder. */
export async function makeFixtures(): Promise<{ dir: string; file: (name: string) => string; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "lab-fixtures-"));
  execFileSync(path.join(REPO_ROOT, ".venvs", "kernel", "bin", "python"), [path.join(REPO_ROOT, "server", "test", "fixtures", "make_fixtures.py"), dir]);
  return { dir, file: (name) => (name === "legacy.xls" ? path.join(REPO_ROOT, "server", "test", "fixtures", name) : path.join(dir, name)), close: () => rm(dir, { recursive: true, force: true }) };
}

/** The product's HTTP handler with the dataset routes, on a free port. */
export async function listenWithFiles(app: AppContext): Promise<{ url: string; close(): Promise<void> }> {
  const routes = [downloadRoutes, uploadRoutes, fileRoutes];
  const server = http.createServer(createHttpHandler(app, {
    router: appRouter,
    extraRoutes: async (req, res, ctx) => { for (const r of routes) if (await r(req, res, ctx)) return true; return false; },
  }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => { server.closeAllConnections(); return new Promise((r) => server.close(() => r())); } };
}

export async function upload(base: string, token: string | null, name: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/api/datasets?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { "content-type": "application/octet-stream", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as any };
}

/** Every path under a folder (relative), to show an upload left nothing behind. */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => []);
  return entries.map(String).sort();
}
