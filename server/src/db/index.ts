import fs from "node:fs/promises";
import { PGlite, types } from "@electric-sql/pglite";
import { Kysely, Migrator, PostgresDialect, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import type { Config } from "../config/index.js";
import { migrationProvider } from "./migrations/index.js";
import type { Database } from "./schema.js";

export interface Db {
  db: Kysely<Database>;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Postgres only: run every connection with this search_path (tests isolate each suite in a fresh schema). */
  searchPath?: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Opens the database. Both drivers return jsonb parsed, timestamptz as Date and int8 as string,
 * so services never branch on which one they run against.
 */
export async function createDb(database: Config["database"], opts: CreateDbOptions = {}): Promise<Db> {
  const dialect = database.kind === "postgres" ? postgresDialect(database.url, opts) : await pgliteDialect(database.dataDir);
  const db = new Kysely<Database>({ dialect });
  return { db, close: () => db.destroy() };
}

function postgresDialect(url: string, opts: CreateDbOptions): PostgresDialect {
  if (opts.searchPath !== undefined && !IDENTIFIER.test(opts.searchPath)) {
    // It is spliced into a startup option, so only plain identifiers are accepted.
    throw new Error(`Invalid searchPath ${JSON.stringify(opts.searchPath)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    ...(opts.searchPath ? { options: `-c search_path=${opts.searchPath}` } : {}),
  });
  return new PostgresDialect({ pool });
}

async function pgliteDialect(dataDir: string): Promise<PGliteDialect> {
  // "memory://" (tests) keeps everything in memory; anything else is a folder we own.
  if (!dataDir.startsWith("memory://")) await fs.mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir, {
    // node-postgres returns int8 (bigserial ids, count(*)) as strings; match it.
    parsers: { [types.INT8]: (value: string) => value },
  });
  return new PGliteDialect(pglite);
}

/** Applies every pending migration; throws naming the migration that failed. */
export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  // Keep Kysely's bookkeeping tables in the schema we migrate, not in whichever schema first has them.
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema ?? undefined;
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((r) => r.status === "Error")?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  throw new Error(
    failed ? `Migration "${failed}" failed: ${reason}` : `Migrations could not run: ${reason}`,
    { cause: error },
  );
}
