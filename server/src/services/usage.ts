import { type Kysely, sql } from "kysely";
import type { LlmConfig } from "../config/llm.js";
import type { Database } from "../db/schema.js";
import { AppError } from "../errors.js";

const today = () => new Date().toISOString().slice(0, 10);

/** Adds one call to the user's daily usage row for the model (created on first use). */
export async function recordUsage(db: Kysely<Database>, userId: string, model: string, u: { tokensIn: number; tokensOut: number; costUsd: number | null }) {
  await db
    .insertInto("llm_usage")
    .values({ user_id: userId, day: today(), model, requests: 1, tokens_in: u.tokensIn, tokens_out: u.tokensOut, cost_usd: u.costUsd ?? 0 })
    .onConflict((oc) =>
      oc.columns(["user_id", "day", "model"]).doUpdateSet({
        requests: sql`llm_usage.requests + 1`,
        tokens_in: sql`llm_usage.tokens_in + ${u.tokensIn}`,
        tokens_out: sql`llm_usage.tokens_out + ${u.tokensOut}`,
        cost_usd: sql`llm_usage.cost_usd + ${u.costUsd ?? 0}`,
      }),
    )
    .execute();
}

/** The user's usage per day and model, newest first; cost is an estimate from llm/prices.ts. */
export async function listUsage(db: Kysely<Database>, userId: string, days: number) {
  const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const rows = await db
    .selectFrom("llm_usage")
    .select([sql<string>`to_char(day, 'YYYY-MM-DD')`.as("day"), "model", "requests", "tokens_in", "tokens_out", "cost_usd"])
    .where("user_id", "=", userId)
    .where("day", ">=", since)
    .orderBy("day", "desc")
    .orderBy("model")
    .execute();
  const quotas = await Promise.all([...new Set(rows.map((r) => r.model))].map(async (m) => [m, await quotaFor(db, null, userId, m)] as const));
  return rows.map((r) => ({
    day: r.day,
    model: r.model,
    requests: Number(r.requests),
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    estimatedCostUsd: Number(r.cost_usd),
    tokensPerDayQuota: r.day === today() ? (quotas.find(([m]) => m === r.model)?.[1] ?? null) : null,
  }));
}

/** The most specific quota: the user's for this model, the user's for '*', the default's for this model, for '*'. */
async function quotaFor(db: Kysely<Database>, config: LlmConfig | null, userId: string, model: string): Promise<number | null> {
  const rows = await db
    .selectFrom("llm_quotas")
    .select(["user_id", "model", "tokens_per_day"])
    .where((eb) => eb.or([eb("user_id", "=", userId), eb("user_id", "is", null)]))
    .where("model", "in", [model, "*"])
    .execute();
  const rank = (r: (typeof rows)[number]) => (r.user_id ? 0 : 2) + (r.model === "*" ? 1 : 0);
  const best = rows.sort((a, b) => rank(a) - rank(b))[0];
  if (best) return Number(best.tokens_per_day);
  return config && config.tokensPerDay > 0 ? config.tokensPerDay : null;
}

/**
 * Refuses a request before any provider is called: over the per-minute rate, or a model whose tokens today
 * already reached its quota. The built-in engine costs nothing and has no token quota.
 */
export async function checkAllowance(db: Kysely<Database>, config: LlmConfig, userId: string, models: string[]): Promise<void> {
  if (config.requestsPerMinute > 0) {
    const { n } = await db
      .selectFrom("llm_tasks")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("user_id", "=", userId)
      .where("created_at", ">", new Date(Date.now() - 60_000))
      .executeTakeFirstOrThrow();
    if (Number(n) >= config.requestsPerMinute) {
      throw new AppError("TOO_MANY_REQUESTS", `Rate limit: at most ${config.requestsPerMinute} analysis requests a minute. Wait a moment and try again.`);
    }
  }
  for (const model of models.filter((m) => !m.startsWith("offline:"))) {
    const quota = await quotaFor(db, config, userId, model);
    if (quota === null) continue;
    const used = await db
      .selectFrom("llm_usage")
      .select(sql<string>`coalesce(sum(tokens_in + tokens_out), 0)`.as("t"))
      .where("user_id", "=", userId)
      .where("model", "=", model)
      .where("day", "=", today())
      .executeTakeFirstOrThrow();
    if (Number(used.t) >= quota) {
      throw new AppError("TOO_MANY_REQUESTS", `Daily token quota reached for ${model}: ${Number(used.t)} of ${quota} tokens used today (UTC). Ask the administrator, or use another model.`);
    }
  }
}

/** Admin: sets (or with null, removes) a daily token quota; userId null = the default for every user. */
export async function setQuota(db: Kysely<Database>, q: { userId: string | null; model: string; tokensPerDay: number | null }) {
  await db.transaction().execute(async (trx) => {
    let del = trx.deleteFrom("llm_quotas").where("model", "=", q.model);
    del = q.userId ? del.where("user_id", "=", q.userId) : del.where("user_id", "is", null);
    await del.execute();
    if (q.tokensPerDay !== null) await trx.insertInto("llm_quotas").values({ user_id: q.userId, model: q.model, tokens_per_day: q.tokensPerDay }).execute();
  });
}

/** Admin: every quota, with the email of the user it applies to (null = the default for every user). */
export async function listQuotas(db: Kysely<Database>) {
  const rows = await db
    .selectFrom("llm_quotas as q")
    .leftJoin("users as u", "u.id", "q.user_id")
    .select(["u.email", "q.model", "q.tokens_per_day"])
    .orderBy("q.model")
    .orderBy("u.email")
    .execute();
  return rows.map((r) => ({ email: r.email, model: r.model, tokensPerDay: Number(r.tokens_per_day) }));
}

/** Admin: a quota by the user's email (or the default, with null); an unknown email is an error, not a silent no-op. */
export async function setQuotaByEmail(db: Kysely<Database>, q: { email: string | null; model: string; tokensPerDay: number | null }) {
  let userId: string | null = null;
  if (q.email !== null) {
    const user = await db.selectFrom("users").select("id").where("email", "=", q.email).executeTakeFirst();
    if (!user) throw new AppError("NOT_FOUND", `No account with the email ${q.email}`);
    userId = user.id;
  }
  await setQuota(db, { userId, model: q.model, tokensPerDay: q.tokensPerDay });
  return listQuotas(db);
}
