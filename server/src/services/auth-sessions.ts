import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database, UserRow } from "../db/schema.js";

/**
 * Login sessions as in the Lucia guide: the client holds a random token, the database holds only
 * sha256(token) as the session id, so a leaked auth_sessions table cannot be replayed.
 */
const TOKEN_BYTES = 24; // 192 bits

export interface AuthSettings {
  sessionTtlMs: number;
}

export interface IssuedSession {
  token: string;
  expiresAt: Date;
}

export interface ValidatedSession {
  user: UserRow;
  expiresAt: Date;
  /** The expiry moved forward: cookie holders should get a fresh cookie. */
  renewed: boolean;
}

export function generateSessionToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

export function sessionIdFromToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createAuthSession(
  db: Kysely<Database>,
  userId: string,
  settings: AuthSettings,
): Promise<IssuedSession> {
  const token = generateSessionToken();
  const expiresAt = new Date(Date.now() + settings.sessionTtlMs);
  await db
    .insertInto("auth_sessions")
    .values({ id: sessionIdFromToken(token), user_id: userId, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The session's user, or null when the token is unknown or expired. Renews when under half the TTL is left. */
export async function validateAuthSession(
  db: Kysely<Database>,
  token: string,
  settings: AuthSettings,
): Promise<ValidatedSession | null> {
  const sessionId = sessionIdFromToken(token);
  const row = await db
    .selectFrom("auth_sessions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .select(["s.expires_at", "u.id", "u.email", "u.password_hash", "u.display_name", "u.created_at"])
    .where("s.id", "=", sessionId)
    .executeTakeFirst();
  if (!row) return null;
  const { expires_at, ...user } = row;
  const now = Date.now();
  if (expires_at.getTime() <= now) {
    await invalidateAuthSession(db, sessionId);
    return null;
  }
  if (expires_at.getTime() - now >= settings.sessionTtlMs / 2) {
    return { user, expiresAt: expires_at, renewed: false };
  }
  const expiresAt = new Date(now + settings.sessionTtlMs);
  await db.updateTable("auth_sessions").set({ expires_at: expiresAt }).where("id", "=", sessionId).execute();
  return { user, expiresAt, renewed: true };
}

export async function invalidateAuthSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.deleteFrom("auth_sessions").where("id", "=", sessionId).execute();
}
