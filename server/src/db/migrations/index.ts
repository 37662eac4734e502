import type { Migration, MigrationProvider } from "kysely";
import * as m0001 from "./2026_11_22_0001_init.js";
import * as m0002 from "./2026_11_22_0002_datasets.js";
import * as m0003 from "./2026_11_22_0003_llm.js";
import * as m0004 from "./2026_11_22_0004_preferences.js";

/** Every migration, in order. Listed explicitly so bundlers and tsx need no directory scan. */
const migrations: Record<string, Migration> = {
  "2026_11_22_0001_init": m0001,
  "2026_11_22_0002_datasets": m0002,
  "2026_11_22_0003_llm": m0003,
  "2026_11_22_0004_preferences": m0004,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
