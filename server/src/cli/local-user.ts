import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { hashPassword } from "../services/passwords.js";

/** The CLI acts as the machine's operator: one local account whose password nobody knows (a random 256-bit one). */
export const LOCAL_CLI_EMAIL = "cli@localhost";

export async function ensureLocalUser(db: Kysely<Database>): Promise<string> {
  const existing = await db.selectFrom("users").select("id").where("email", "=", LOCAL_CLI_EMAIL).executeTakeFirst();
  if (existing) return existing.id;
  const id = randomUUID();
  await db
    .insertInto("users")
    .values({ id, email: LOCAL_CLI_EMAIL, password_hash: await hashPassword(randomBytes(32).toString("base64url")), display_name: "Command line" })
    .onConflict((oc) => oc.column("email").doNothing())
    .execute();
  const row = await db.selectFrom("users").select("id").where("email", "=", LOCAL_CLI_EMAIL).executeTakeFirstOrThrow();
  return row.id;
}
