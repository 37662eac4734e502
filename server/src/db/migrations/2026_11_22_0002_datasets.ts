import { type Kysely, sql } from "kysely";

// Frozen once landed: change the schema with a new migration, never by editing this one.
export async function up(db: Kysely<any>): Promise<void> {
  // One row per stored upload. The bytes live in <LAB_HOME>/datasets/<user_id>/<id>/; `name` is metadata only.
  await db.schema
    .createTable("datasets")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("sha256", "text", (c) => c.notNull())
    .addColumn("size_bytes", "bigint", (c) => c.notNull())
    .addColumn("format", "text", (c) => c.notNull())
    // How to read it (encoding, delimiter, sheets…), its schema and a few rows: what preview and prompts need.
    .addColumn("info", "jsonb", (c) => c.notNull())
    // The full profile, computed once on first request (a full scan) and kept.
    .addColumn("profile", "jsonb")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Dedupe per user: the same bytes uploaded twice are one dataset.
  await db.schema.createIndex("datasets_user_sha_idx").on("datasets").columns(["user_id", "sha256"]).unique().execute();
  await db.schema.createIndex("datasets_user_created_idx").on("datasets").columns(["user_id", "created_at"]).execute();

  // Which datasets a session sees, and under which file name in its /data.
  await db.schema
    .createTable("session_datasets")
    .addColumn("session_id", "uuid", (c) => c.notNull().references("analysis_sessions.id").onDelete("cascade"))
    .addColumn("dataset_id", "uuid", (c) => c.notNull().references("datasets.id").onDelete("cascade"))
    .addColumn("file_name", "text", (c) => c.notNull())
    .addColumn("attached_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("session_datasets_pk", ["session_id", "dataset_id"])
    .addUniqueConstraint("session_datasets_file_unique", ["session_id", "file_name"])
    .execute();
  await db.schema.createIndex("session_datasets_dataset_idx").on("session_datasets").column("dataset_id").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("session_datasets").execute();
  await db.schema.dropTable("datasets").execute();
}
