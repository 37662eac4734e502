import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Db, createDb, migrateToLatest } from "../../src/db/index.js";

export type TestDbKind = "postgres" | "pglite";

/** Every suite that touches SQL runs against both: `describe.each(DATABASES)("… ($name)", ({ name }) => …)`. */
export const DATABASES: { name: TestDbKind }[] = [{ name: "postgres" }, { name: "pglite" }];

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDb extends Db {
  kind: TestDbKind;
  /** Postgres: the schema this suite owns (dropped on close). */
  schema: string | null;
}

/** A migrated, empty database: a fresh schema on the real Postgres, or an in-memory PGlite. */
export async function openTestDb(kind: TestDbKind): Promise<TestDb> {
  if (kind === "pglite") {
    const opened = await createDb({ kind: "pglite", dataDir: "memory://" });
    await migrateToLatest(opened.db);
    return { ...opened, kind, schema: null };
  }
  const schema = `test_${Date.now()}_${randomBytes(4).toString("hex")}`;
  await admin((c) => c.query(`create schema ${schema}`));
  const opened = await createDb({ kind: "postgres", url: TEST_DATABASE_URL }, { searchPath: schema });
  try {
    await migrateToLatest(opened.db);
  } catch (err) {
    await opened.close();
    await admin((c) => c.query(`drop schema ${schema} cascade`));
    throw err;
  }
  return {
    db: opened.db,
    kind,
    schema,
    close: async () => {
      await opened.close();
      await admin((c) => c.query(`drop schema if exists ${schema} cascade`));
    },
  };
}

async function admin(fn: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
