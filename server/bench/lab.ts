import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { createAppContext } from "../src/app.js";
import { loadConfig } from "../src/config/index.js";
import type { AppContext } from "../src/context.js";
import { downloadRoutes } from "../src/http/downloads.js";
import { createHttpHandler } from "../src/http/server.js";
import { appRouter } from "../src/routers/_app.js";
import { type LabClient, createLabClient } from "./client.js";

export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");

export interface LabServer {
  app: AppContext;
  url: string;
  /** A fresh user's client, as the web UI would be after signing up. */
  newUser(): Promise<LabClient>;
  close(): Promise<void>;
}

/**
 * The product as `npm start` runs it (index.ts), in this process: embedded EG, PGlite in a temp LAB_HOME,
 * the real HTTP handler. The socket is bound first, on port 0, so that config (whose allowed Origins
 * name the port) is built from the port we really got.
 */
export async function startLabServer(env: Record<string, string>, log: (line: string) => void): Promise<LabServer> {
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const home = await mkdtemp(path.join(os.tmpdir(), "lab-bench-"));
  const closeServer = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };

  let app: AppContext;
  try {
    const { config, secrets } = loadConfig({ ...env, LAB_HOME: home, HOST: "127.0.0.1", PORT: String(port) }, REPO_ROOT);
    app = await createAppContext(config, secrets, { log });
  } catch (err) {
    await closeServer();
    await rm(home, { recursive: true, force: true });
    throw err;
  }
  handler = createHttpHandler(app, { router: appRouter, extraRoutes: downloadRoutes });
  const url = `http://127.0.0.1:${port}`;

  return {
    app,
    url,
    async newUser() {
      const anon = createLabClient(url, null);
      const email = `bench-${randomBytes(6).toString("hex")}@example.org`;
      const { token } = await anon.auth.register.mutate({ email, password: `pw-${randomBytes(12).toString("base64url")}` });
      return createLabClient(url, token);
    },
    async close() {
      await closeServer();
      await app.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}
