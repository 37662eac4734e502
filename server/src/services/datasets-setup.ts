import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Config } from "../config/index.js";
import type { Database } from "../db/schema.js";
import { DatasetService } from "./datasets.js";
import { EngineProcess } from "./datasets-engine-process.js";

/** The dataset store and its engine (a process of its own); DuckDB may open files under the store and spill to .engine-tmp only. */
export async function createDatasetService(db: Kysely<Database>, config: Config): Promise<DatasetService> {
  await mkdir(config.datasets.dir, { recursive: true, mode: 0o700 });
  const engine = await EngineProcess.create({
    memoryMb: config.datasets.engineMemoryMb,
    tempDir: path.join(config.datasets.dir, ".engine-tmp"),
    allowedDirs: [config.datasets.dir],
  });
  return new DatasetService(db, config, engine);
}
