import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
// Test harness only: the web app itself never imports server code (types only).
import { createAppContext } from "../../../server/src/app.js";
import { loadConfig } from "../../../server/src/config/index.js";
import type { AppContext } from "../../../server/src/context.js";
import { fileRoutes } from "../../../server/src/http/artifacts.js";
import { downloadRoutes } from "../../../server/src/http/downloads.js";
import { createHttpHandler } from "../../../server/src/http/server.js";
import { composeRoutes, staticRoutes } from "../../../server/src/http/static.js";
import { uploadRoutes } from "../../../server/src/http/uploads.js";
import { appRouter } from "../../../server/src/routers/_app.js";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const WEB_OUT = path.join(REPO_ROOT, "web", "out");

export interface LabServer {
  app: AppContext;
  origin: string;
  /** Every request the server saw (method, path, Origin header), for asserting what a page could not do. */
  requests: { method: string; path: string; origin: string | undefined }[];
  close(): Promise<void>;
}

/** A free port on loopback: allowed origins are derived from PORT, so the port must be known up front. */
async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

/**
 * The whole product as `npm start` composes it (server/src/index.ts: the same routes in the same order) (PGlite in a temp LAB_HOME, the embedded Enterprise
 * Gateway, sandboxed kernels, the built web app), listening on 127.0.0.1.
 */
export async function startLabServer(env: Record<string, string> = {}): Promise<LabServer> {
  const home = await mkdtemp(path.join(os.tmpdir(), "lab-e2e-"));
  const port = await freePort();
  // A key to encrypt provider keys with, as an operator sets one (settings stores a key in the flow test).
  const secret = randomBytes(32).toString("hex");
  const vars: NodeJS.ProcessEnv = { NODE_ENV: "test", LAB_HOME: home, PORT: String(port), LAB_KERNEL_POOL_SIZE: "1", CREDENTIALS_SECRET_KEY: secret, ...env };
  const { config, secrets } = loadConfig(vars, REPO_ROOT);
  const app = await createAppContext(config, secrets, { log: () => {} });
  const requests: LabServer["requests"] = [];
  const handler = createHttpHandler(app, { router: appRouter, extraRoutes: composeRoutes(downloadRoutes, uploadRoutes, fileRoutes, staticRoutes(WEB_OUT)) });
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "", origin: req.headers.origin });
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    app,
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await app.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
