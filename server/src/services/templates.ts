import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { AppError, notFound } from "../errors.js";
import { type PromptRegistry, type TTemplate, parseTemplate } from "./prompts.js";

/** A template ready to use, with the reference stored on each task ("builtin" or the user's version). */
export interface ResolvedTemplate {
  template: TTemplate;
  ref: { name: string; version: string };
}

const toDto = (r: { id: string; name: string; version: number; body: string; created_at: Date | string }) => ({
  id: r.id,
  name: r.name,
  version: r.version,
  body: r.body,
  createdAt: new Date(r.created_at).toISOString(),
});

/** Saves a user's template: the first version, or the next one of an existing name. Parsed before it is stored. */
export async function saveTemplate(db: Kysely<Database>, userId: string, body: string) {
  const t = parseTemplate(body, "template");
  return db.transaction().execute(async (trx) => {
    // Serialises concurrent saves of one user, so two edits cannot take the same version number.
    await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().executeTakeFirstOrThrow();
    const last = await trx.selectFrom("llm_templates").select("version").where("user_id", "=", userId).where("name", "=", t.name).orderBy("version", "desc").executeTakeFirst();
    const row = await trx
      .insertInto("llm_templates")
      .values({ id: randomUUID(), user_id: userId, name: t.name, version: (last?.version ?? 0) + 1, body })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toDto(row);
  });
}

/** The user's templates, latest version of each name, and the built-in ones. */
export async function listTemplates(db: Kysely<Database>, userId: string, registry: PromptRegistry) {
  const rows = await db.selectFrom("llm_templates").selectAll().where("user_id", "=", userId).orderBy("name").orderBy("version", "desc").execute();
  const latest = rows.filter((r, i) => i === 0 || rows[i - 1]!.name !== r.name);
  return {
    builtin: [...registry.templates.values()].map((t) => ({ name: t.name, version: t.version, mode: t.mode, title: t.title, description: t.description })),
    own: latest.map(toDto),
  };
}

export async function templateVersions(db: Kysely<Database>, userId: string, name: string) {
  const rows = await db.selectFrom("llm_templates").selectAll().where("user_id", "=", userId).where("name", "=", name).orderBy("version", "desc").execute();
  return rows.map(toDto);
}

export async function findOwnedTemplate(db: Kysely<Database>, userId: string, templateId: string) {
  const row = await db.selectFrom("llm_templates").selectAll().where("id", "=", templateId).where("user_id", "=", userId).executeTakeFirst();
  if (!row) throw notFound("Template");
  return row;
}

export async function deleteTemplate(db: Kysely<Database>, userId: string, name: string): Promise<void> {
  await db.deleteFrom("llm_templates").where("user_id", "=", userId).where("name", "=", name).execute();
}

/** A built-in name, or one of the user's own by id (exact version). */
export async function resolveTemplate(db: Kysely<Database>, registry: PromptRegistry, userId: string, choice: { name?: string; templateId?: string }): Promise<ResolvedTemplate> {
  if (choice.templateId) {
    const row = await findOwnedTemplate(db, userId, choice.templateId);
    return { template: parseTemplate(row.body, `template ${row.name} v${row.version}`), ref: { name: `user:${row.name}`, version: String(row.version) } };
  }
  const name = choice.name ?? "data-analysis";
  const t = registry.templates.get(name);
  if (!t) throw new AppError("BAD_REQUEST", `Unknown template "${name}"; built-in ones: ${[...registry.templates.keys()].join(", ")}`);
  return { template: t, ref: { name: `builtin:${t.name}`, version: String(t.version) } };
}
