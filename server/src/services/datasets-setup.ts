import { mkdir } from "node:fs/promises";
import type { Kysely } from "kysely";
import type { Config } from "../config/index.js";
import type { Database } from "../db/schema.js";
import { DatasetService } from "./datasets.js";
import { DuckDbEngine } from "./datasets-engine.js";
import { EngineProcess } from "./datasets-engine-process.js";
import { engineTempDir } from "./datasets-store.js";

/**
 * The dataset store and its engine; DuckDB may open files under the store and spill to .engine-tmp only.
 * The server runs the engine in a process of its own (EngineProcess). `inProcess` is for the one-shot CLI,
 * run by the local user on their own files, where a child's start-up would only add seconds to each command.
 */
export async function createDatasetService(db: Kysely<Database>, config: Config, opts: { inProcess?: boolean } = {}): Promise<DatasetService> {
  await mkdir(config.datasets.dir, { recursive: true, mode: 0o700 });
  const options = { memoryMb: config.datasets.engineMemoryMb, tempDir: engineTempDir(config.datasets.dir), allowedDirs: [config.datasets.dir] };
  const engine = opts.inProcess ? await DuckDbEngine.create(options) : await EngineProcess.create(options);
  return new DatasetService(db, config, engine);
}
