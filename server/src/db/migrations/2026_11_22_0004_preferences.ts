import { type Kysely, sql } from "kysely";

// Frozen once landed. A user's analysis style: the language of interpretations and the plot theme.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("user_preferences")
    .addColumn("user_id", "uuid", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("interpretation_language", "text", (c) => c.notNull().defaultTo("auto"))
    .addColumn("plot_theme", "text", (c) => c.notNull().defaultTo("default"))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_preferences").execute();
}
