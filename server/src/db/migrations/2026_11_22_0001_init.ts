import { type Kysely, sql } from "kysely";

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("users")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("email", "text", (c) => c.notNull().unique())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("display_name", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Lucia-guide sessions: the id is sha256(token); the token itself is never stored.
  await db.schema
    .createTable("auth_sessions")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("auth_sessions_user_idx").on("auth_sessions").column("user_id").execute();

  // Failed logins, keyed "account:<email>" or "ip:<addr>", for sliding-window throttling.
  await db.schema
    .createTable("login_failures")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("key", "text", (c) => c.notNull())
    .addColumn("at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("login_failures_key_at_idx").on("login_failures").columns(["key", "at"]).execute();

  await db.schema
    .createTable("analysis_sessions")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("title", "text", (c) => c.notNull())
    // The sandbox folder (work/ + data/) bound into this session's kernels.
    .addColumn("workspace_id", "uuid", (c) => c.notNull().unique())
    .addColumn("execution_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("analysis_sessions_user_idx").on("analysis_sessions").columns(["user_id", "updated_at"]).execute();

  await db.schema
    .createTable("cells")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("session_id", "uuid", (c) => c.notNull().references("analysis_sessions.id").onDelete("cascade"))
    .addColumn("position", "integer", (c) => c.notNull())
    .addColumn("source", "text", (c) => c.notNull().check(sql`source in ('user', 'model')`))
    .addColumn("code", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("outputs", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("execution_count", "integer")
    .addColumn("error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("started_at", "timestamptz")
    .addColumn("ended_at", "timestamptz")
    .execute();
  await db.schema.createIndex("cells_session_pos_idx").on("cells").columns(["session_id", "position"]).unique().execute();

  // Live kernels. session_id null = warm pool. The per-user cap counts rows here, under a row lock on the user.
  await db.schema
    .createTable("kernels")
    .addColumn("id", "text", (c) => c.primaryKey())
    .addColumn("session_id", "uuid", (c) => c.references("analysis_sessions.id").onDelete("set null"))
    .addColumn("user_id", "uuid", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("workspace_id", "uuid", (c) => c.notNull())
    .addColumn("started_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("last_activity_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("kernels_session_idx").on("kernels").column("session_id").unique().execute();

  // The one event stream of a session: clients resume from the last id they saw.
  await db.schema
    .createTable("session_events")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("session_id", "uuid", (c) => c.notNull().references("analysis_sessions.id").onDelete("cascade"))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("payload", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("session_events_session_idx").on("session_events").columns(["session_id", "id"]).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["session_events", "kernels", "cells", "analysis_sessions", "login_failures", "auth_sessions", "users"]) {
    await db.schema.dropTable(t).execute();
  }
}
