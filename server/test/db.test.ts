import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, migrateToLatest } from "../src/db/index.js";
import { migrationProvider } from "../src/db/migrations/index.js";
import { DATABASES, type TestDb, openTestDb } from "./helpers/db.js";

describe.each(DATABASES)("the database layer ($name)", ({ name }) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(name);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("reads jsonb back parsed, bigserial ids as strings and timestamps as dates", async () => {
    const userId = randomUUID();
    const sessionId = randomUUID();
    await t.db.insertInto("users").values({ id: userId, email: `${userId}@example.com`, password_hash: "x" }).execute();
    await t.db
      .insertInto("analysis_sessions")
      .values({ id: sessionId, user_id: userId, title: "t", workspace_id: randomUUID() })
      .execute();
    const payload = { rows: [1, 2], label: "血压", nested: { ok: true } };
    await t.db.insertInto("session_events").values({ session_id: sessionId, type: "x", payload: JSON.stringify(payload) }).execute();
    const row = await t.db.selectFrom("session_events").selectAll().where("session_id", "=", sessionId).executeTakeFirstOrThrow();
    expect(row.payload).toEqual(payload);
    expect(typeof row.id).toBe("string");
    expect(row.created_at).toBeInstanceOf(Date);
  });

  it("migrating an up-to-date database changes nothing", async () => {
    await migrateToLatest(t.db);
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(t.db);
    const all = Object.keys(await migrationProvider.getMigrations()).sort();
    expect(rows).toEqual(all.map((name) => ({ name })));
  });
});

describe("PGlite on disk", () => {
  it("creates a missing data folder and keeps data across reopen", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lab-pglite-"));
    const dataDir = path.join(dir, "nested", "pglite");
    try {
      const first = await createDb({ kind: "pglite", dataDir });
      await migrateToLatest(first.db);
      await first.db.insertInto("users").values({ id: randomUUID(), email: "kept@example.com", password_hash: "x" }).execute();
      await first.close();
      expect((await stat(dataDir)).isDirectory()).toBe(true);
      const second = await createDb({ kind: "pglite", dataDir });
      await migrateToLatest(second.db);
      expect(await second.db.selectFrom("users").select("email").execute()).toEqual([{ email: "kept@example.com" }]);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names the migration that failed", async () => {
    const db = await createDb({ kind: "pglite", dataDir: "memory://" });
    try {
      await sql`create table users (id int)`.execute(db.db);
      await expect(migrateToLatest(db.db)).rejects.toThrow(/^Migration "2026_11_22_0001_init" failed: .*"users" already exists/);
    } finally {
      await db.close();
    }
  });
});
