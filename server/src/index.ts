import http from "node:http";
import path from "node:path";
import { createAppContext } from "./app.js";
import { loadConfig } from "./config/index.js";
import { fileRoutes } from "./http/artifacts.js";
import { downloadRoutes } from "./http/downloads.js";
import { uploadRoutes } from "./http/uploads.js";
import { createHttpHandler } from "./http/server.js";
import { composeRoutes, staticRoutes } from "./http/static.js";
import { appRouter } from "./routers/_app.js";

// Composition root: env → config → app context → HTTP server. Nothing else reads process.env.
const root = path.resolve(import.meta.dirname, "../..");
// @jupyterlab/services logs every websocket (re)start at debug level; our own logs say what matters.
console.debug = () => {};

async function main() {
  const { config, secrets } = loadConfig(process.env, root);
  const app = await createAppContext(config, secrets);
  // The web app (web/out, a static export) is served last: every /api and /trpc route comes first.
  const webApp = staticRoutes(path.join(config.root, "web", "out"));
  const server = http.createServer(createHttpHandler(app, { router: appRouter, extraRoutes: composeRoutes(downloadRoutes, uploadRoutes, fileRoutes, webApp) }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const db = config.database.kind === "postgres" ? "PostgreSQL (DATABASE_URL)" : `PGlite in ${config.database.dataDir}`;
  const gw = config.gateway.kind === "external" ? config.gateway.url : "embedded Enterprise Gateway on 127.0.0.1";
  console.log(`LLM Data Lab listening on http://${config.host}:${port}  (tRPC at /trpc)`);
  console.log(`  database: ${db}\n  kernels:  ${gw}, sandbox ${config.sandbox ? "on (bubblewrap)" : "OFF"}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping kernels, gateway and database…`);
    server.closeAllConnections();
    server.close();
    await app.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
