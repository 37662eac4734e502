import type { Kysely } from "kysely";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Database, UserRow } from "../db/schema.js";
import { AppError } from "../errors.js";
import {
  type AuthSettings,
  type IssuedSession,
  createAuthSession,
  invalidateAuthSession,
  sessionIdFromToken,
} from "./auth-sessions.js";
import { assertLoginAllowed, clearAccountFailures, recordLoginFailure } from "./login-throttle.js";
import { PASSWORD_MAX, ZNewPasswordSchema, burnPasswordCheck, hashPassword, verifyPassword } from "./passwords.js";

export const ZEmailSchema = z.string().trim().toLowerCase().pipe(z.email("Enter a valid email address").max(254));

export const ZRegisterInputSchema = z.object({
  email: ZEmailSchema,
  password: ZNewPasswordSchema,
  displayName: z.string().trim().min(1).max(100).optional(),
});
export type TRegisterInput = z.infer<typeof ZRegisterInputSchema>;

// Login checks no rules beyond sizes: a malformed email simply is not an account.
export const ZLoginInputSchema = z.object({
  email: z.string().trim().toLowerCase().max(254),
  password: z.string().max(PASSWORD_MAX * 8),
});
export type TLoginInput = z.infer<typeof ZLoginInputSchema>;

export interface UserDto {
  id: string;
  email: string;
  displayName: string | null;
  createdAt: string;
}

export interface AuthResult extends IssuedSession {
  user: UserDto;
}

/** The only mapping from a users row to what leaves the server; password_hash never does. */
export function toUserDto(row: UserRow): UserDto {
  return { id: row.id, email: row.email, displayName: row.display_name, createdAt: row.created_at.toISOString() };
}

const invalidCredentials = () => new AppError("UNAUTHORIZED", "Invalid email or password");

/** Creates the account and signs it in. */
export async function register(db: Kysely<Database>, input: TRegisterInput, settings: AuthSettings): Promise<AuthResult> {
  const { email, password, displayName } = parseOrBadRequest(ZRegisterInputSchema, input);
  const passwordHash = await hashPassword(password);
  const row = await db
    .insertInto("users")
    .values({ id: randomUUID(), email, password_hash: passwordHash, display_name: displayName ?? null })
    .onConflict((oc) => oc.column("email").doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError("CONFLICT", "An account could not be created with this email");
  return { user: toUserDto(row), ...(await createAuthSession(db, row.id, settings)) };
}

/** Checks the password (throttled per account and per IP) and issues a new session on every success. */
export async function login(
  db: Kysely<Database>,
  input: TLoginInput & { ip: string },
  settings: AuthSettings,
): Promise<AuthResult> {
  const { email, password } = parseOrBadRequest(ZLoginInputSchema, input);
  await assertLoginAllowed(db, email, input.ip);
  const row = await db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst();
  const ok = row ? await verifyPassword(row.password_hash, password) : await burnPasswordCheck(password).then(() => false);
  if (!row || !ok) {
    await recordLoginFailure(db, email, input.ip);
    throw invalidCredentials();
  }
  await clearAccountFailures(db, email);
  return { user: toUserDto(row), ...(await createAuthSession(db, row.id, settings)) };
}

/** Ends the session the token belongs to; unknown tokens are a no-op. */
export async function logout(db: Kysely<Database>, token: string): Promise<void> {
  await invalidateAuthSession(db, sessionIdFromToken(token));
}

// Services are also called from the CLI, so they check their own input, not only the routers.
function parseOrBadRequest<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new AppError("BAD_REQUEST", parsed.error.issues.map((i) => i.message).join("; "), { cause: parsed.error });
}
