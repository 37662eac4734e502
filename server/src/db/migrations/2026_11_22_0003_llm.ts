import { type Kysely, sql } from "kysely";

// Frozen once landed: the LLM pipeline's tables. Change them with a new migration, never by editing this one.
export async function up(db: Kysely<any>): Promise<void> {
  // A branch is a hidden child session: one model's private kernel, started from the parent's state.
  await db.schema
    .alterTable("analysis_sessions")
    .addColumn("parent_session_id", "uuid", (c) => c.references("analysis_sessions.id").onDelete("cascade"))
    .execute();

  // One row per provider a user configured. The key is AES-256-GCM ciphertext bound to the user id; never plaintext.
  await db.schema
    .createTable("llm_credentials")
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("provider", "text", (c) => c.notNull())
    .addColumn("api_key_enc", "text")
    .addColumn("base_url", "text")
    .addColumn("default_models", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("llm_credentials_pk", ["user_id", "provider"])
    .execute();

  // Users' own prompt templates: every edit is a new version row, so a task can name exactly what it used.
  await db.schema
    .createTable("llm_templates")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull())
    .addColumn("body", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("llm_templates_name_version_idx").on("llm_templates").columns(["user_id", "name", "version"]).unique().execute();

  await db.schema
    .createTable("llm_tasks")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("session_id", "uuid", (c) => c.notNull().references("analysis_sessions.id").onDelete("cascade"))
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("request", "text", (c) => c.notNull())
    .addColumn("mode", "text", (c) => c.notNull())
    .addColumn("template", "text", (c) => c.notNull())
    .addColumn("template_version", "text", (c) => c.notNull())
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("ended_at", "timestamptz")
    .execute();
  await db.schema.createIndex("llm_tasks_session_idx").on("llm_tasks").columns(["session_id", "created_at"]).execute();
  await db.schema.createIndex("llm_tasks_user_idx").on("llm_tasks").columns(["user_id", "created_at"]).execute();

  // One model's run of a task; runs_in names the session whose kernel ran its code (the session itself or a branch).
  await db.schema
    .createTable("llm_runs")
    .addColumn("id", "uuid", (c) => c.primaryKey())
    .addColumn("task_id", "uuid", (c) => c.notNull().references("llm_tasks.id").onDelete("cascade"))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("runs_in", "uuid", (c) => c.notNull().references("analysis_sessions.id").onDelete("cascade"))
    .addColumn("status", "text", (c) => c.notNull())
    .addColumn("code", "text")
    .addColumn("cell_id", "uuid")
    .addColumn("interpretation", "text")
    .addColumn("error", "text")
    .addColumn("error_kind", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("ended_at", "timestamptz")
    .execute();
  await db.schema.createIndex("llm_runs_task_idx").on("llm_runs").column("task_id").execute();

  // Every call to a model: what was sent, what came back, what it cost. Costs are estimates from a price table.
  await db.schema
    .createTable("llm_steps")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("run_id", "uuid", (c) => c.notNull().references("llm_runs.id").onDelete("cascade"))
    .addColumn("kind", "text", (c) => c.notNull())
    .addColumn("attempt", "integer", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("template", "text", (c) => c.notNull())
    .addColumn("template_version", "text", (c) => c.notNull())
    .addColumn("prompt", "jsonb", (c) => c.notNull())
    .addColumn("answer", "text", (c) => c.notNull())
    .addColumn("code", "text")
    .addColumn("cell_id", "uuid")
    .addColumn("cell_status", "text")
    .addColumn("tokens_in", "integer", (c) => c.notNull())
    .addColumn("tokens_out", "integer", (c) => c.notNull())
    .addColumn("latency_ms", "integer", (c) => c.notNull())
    .addColumn("cost_usd", "double precision")
    .addColumn("error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex("llm_steps_run_idx").on("llm_steps").columns(["run_id", "id"]).execute();

  // Usage per user, model and day (UTC): what quotas are checked against, and what users read.
  await db.schema
    .createTable("llm_usage")
    .addColumn("user_id", "uuid", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("day", "date", (c) => c.notNull())
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("requests", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("tokens_in", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("tokens_out", "bigint", (c) => c.notNull().defaultTo(0))
    .addColumn("cost_usd", "double precision", (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint("llm_usage_pk", ["user_id", "day", "model"])
    .execute();

  // Admin-set daily token quotas; model '*' = every model. A user's own row beats the default row (user_id null).
  await db.schema
    .createTable("llm_quotas")
    .addColumn("id", "bigserial", (c) => c.primaryKey())
    .addColumn("user_id", "uuid", (c) => c.references("users.id").onDelete("cascade"))
    .addColumn("model", "text", (c) => c.notNull())
    .addColumn("tokens_per_day", "bigint", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("llm_quotas_user_model_idx")
    .on("llm_quotas")
    .expression(sql`coalesce(user_id, '00000000-0000-0000-0000-000000000000'::uuid), model`)
    .unique()
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ["llm_quotas", "llm_usage", "llm_steps", "llm_runs", "llm_tasks", "llm_templates", "llm_credentials"]) {
    await db.schema.dropTable(t).execute();
  }
  await db.schema.alterTable("analysis_sessions").dropColumn("parent_session_id").execute();
}
