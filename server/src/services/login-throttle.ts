import { type Kysely, sql } from "kysely";
import type { Database } from "../db/schema.js";
import { AppError } from "../errors.js";

/**
 * Sliding-window throttling of failed logins, per account and per client IP. Nothing is locked for
 * good: once the window has passed the failures no longer count, so the real user always gets back in.
 * Throttled attempts are not recorded, or an attacker could keep an account shut by retrying.
 */
export const LOGIN_THROTTLE = {
  windowMs: 15 * 60_000,
  maxPerAccount: 5,
  maxPerIp: 30,
} as const;

export const accountKey = (email: string) => `account:${email}`;
export const ipKey = (ip: string) => `ip:${ip}`;

// Compared with the database clock, the same clock that stamps login_failures.at.
const windowStart = () => sql<Date>`now() - make_interval(secs => ${LOGIN_THROTTLE.windowMs / 1000})`;

export async function assertLoginAllowed(db: Kysely<Database>, email: string, ip: string): Promise<void> {
  const rows = await db
    .selectFrom("login_failures")
    .select(["key", (eb) => eb.fn.countAll<string>().as("n")])
    .where("key", "in", [accountKey(email), ipKey(ip)])
    .where("at", ">", windowStart())
    .groupBy("key")
    .execute();
  const count = (key: string) => Number(rows.find((r) => r.key === key)?.n ?? 0);
  if (count(accountKey(email)) >= LOGIN_THROTTLE.maxPerAccount || count(ipKey(ip)) >= LOGIN_THROTTLE.maxPerIp) {
    throw new AppError("TOO_MANY_REQUESTS", "Too many failed sign-in attempts. Try again in a few minutes.");
  }
}

export async function recordLoginFailure(db: Kysely<Database>, email: string, ip: string): Promise<void> {
  const keys = [accountKey(email), ipKey(ip)];
  await db.insertInto("login_failures").values(keys.map((key) => ({ key }))).execute();
  // Prune what can no longer count, so the table stays as small as the window.
  await db.deleteFrom("login_failures").where("key", "in", keys).where("at", "<=", windowStart()).execute();
}

export async function clearAccountFailures(db: Kysely<Database>, email: string): Promise<void> {
  await db.deleteFrom("login_failures").where("key", "=", accountKey(email)).execute();
}
