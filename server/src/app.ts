import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Config, Secrets } from "./config/index.js";
import type { AppContext } from "./context.js";
import { type Db, createDb, migrateToLatest } from "./db/index.js";
import { KERNEL_NAME, type RunningGateway, maxMessageBytes, startEmbeddedGateway } from "./kernel/embedded.js";
import { GatewayClient } from "./kernel/gateway.js";
import { EventBus } from "./services/events.js";
import { Executor } from "./services/execution.js";
import { KernelManager } from "./services/kernels.js";
import { readKernelEnvironment } from "./services/notebook.js";
import { createDatasetService } from "./services/datasets-setup.js";
import { AnalysisService } from "./services/analysis.js";
import { loadPrompts } from "./services/prompts.js";

export interface AppOverrides {
  /** An open, migrated database (tests: a fresh Postgres schema or an in-memory PGlite). */
  db?: Db;
  /** A gateway that is already running (tests share one per file). */
  gateway?: { url: string; token: string };
  log?: (line: string) => void;
}

/** The server's username at the gateway: EG refuses kernels for `root`, and no client value is ever forwarded. */
const KERNEL_USERNAME = "lab";

/**
 * Builds everything: database (migrated), gateway (started here unless GATEWAY_URL names one), kernels,
 * executor. The order of `close()` is the reverse: kernels, then the gateway, then the database.
 */
export async function createAppContext(config: Config, secrets: Secrets, overrides: AppOverrides = {}): Promise<AppContext> {
  const log = overrides.log ?? ((line: string) => console.log(line));
  const cleanups: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await c().catch((err: unknown) => console.error("[app] close:", err));
  };
  try {
    let dbh = overrides.db;
    if (!dbh) {
      if (config.database.kind === "pglite") cleanups.push(await lockDataDir(config.database.dataDir));
      dbh = await createDb(config.database);
      await migrateToLatest(dbh.db);
      cleanups.push(dbh.close);
    }
    const db = dbh.db;

    let gw: { url: string; token: string } | undefined = overrides.gateway;
    if (!gw && config.gateway.kind === "external") {
      if (!secrets.gatewayToken) throw new Error("GATEWAY_URL is set but GATEWAY_TOKEN is not: the gateway must require a token");
      gw = { url: config.gateway.url, token: secrets.gatewayToken };
    }
    if (!gw) {
      if (!config.sandbox) log("WARNING: LAB_SANDBOX=off — kernels run UNSANDBOXED, with this server's privileges. Never on a shared machine.");
      const running: RunningGateway = await startEmbeddedGateway(config, log);
      cleanups.push(running.stop);
      gw = running;
    }
    const gateway = new GatewayClient({ baseUrl: gw.url, token: gw.token, kernelName: KERNEL_NAME, username: KERNEL_USERNAME, maxMessageBytes: maxMessageBytes(config) });
    const events = new EventBus(db);
    cleanups.push(() => events.drain()); // stored before the database closes (closed after kernels: their last events)
    const kernels = new KernelManager(db, gateway, config, events);
    await kernels.init();
    cleanups.push(() => kernels.close());
    const executor = new Executor(db, kernels, events, config);
    await executor.init();
    const environment = readKernelEnvironment(config.root, config.paths.kernelVenv);
    const datasets = await createDatasetService(db, config);
    cleanups.push(() => datasets.engine.close());
    const prompts = loadPrompts(config.llm.promptsDir);
    const analysis = new AnalysisService({ db, config: config.llm, secrets: secrets.llm, workspaces: config.paths.workspaces, prompts, events, executor, kernels });
    await analysis.init();
    cleanups.push(() => analysis.close());
    return { config, secrets, db, services: { gateway, events, kernels, executor, environment, datasets, prompts, analysis }, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * PGlite is one process's database: a second process opening the same folder would corrupt it.
 * A pid file says who has it; a stale one (dead pid) is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lock = path.join(path.dirname(dataDir), `${path.basename(dataDir)}.lock`);
  await mkdir(path.dirname(dataDir), { recursive: true });
  const holder = Number(await readFile(lock, "utf8").catch(() => "0"));
  if (holder && holder !== process.pid && isAlive(holder)) {
    throw new Error(
      `The embedded database (${dataDir}) is in use by process ${holder} (a running \`npm start\`?). ` +
        "Stop it, or set DATABASE_URL to a PostgreSQL server that both can share.",
    );
  }
  await writeFile(lock, String(process.pid));
  return async () => {
    if (Number(await readFile(lock, "utf8").catch(() => "0")) === process.pid) await rm(lock, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

