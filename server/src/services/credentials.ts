import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../db/schema.js";
import { AppError } from "../errors.js";
import { LlmError } from "../llm/errors.js";
import { type AddressPolicy, checkBaseUrl } from "../llm/net.js";
import { PROVIDERS, type ProviderId } from "../llm/registry.js";

/**
 * Per-user provider credentials. Keys are AES-256-GCM encrypted with CREDENTIALS_SECRET_KEY; the associated
 * data binds each ciphertext to its user and provider, so a row copied to another user (or provider) does not
 * decrypt. Write-only: nothing here returns a key except `decryptKey`, which only the resolver calls.
 */
const VERSION = "v1";
const aad = (userId: string, provider: string) => Buffer.from(`llm-credential:${VERSION}:${userId}:${provider}`);
const b64 = (b: Buffer) => b.toString("base64url");

export function encryptKey(secret: Buffer, userId: string, provider: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", secret, iv);
  cipher.setAAD(aad(userId, provider));
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, b64(iv), b64(cipher.getAuthTag()), b64(ct)].join(".");
}

export function decryptKey(secret: Buffer, userId: string, provider: string, stored: string): string {
  const [version, iv, tag, ct] = stored.split(".");
  if (version !== VERSION || !iv || !tag || ct === undefined) throw new AppError("INTERNAL", "Stored credential has an unknown format");
  try {
    const decipher = createDecipheriv("aes-256-gcm", secret, Buffer.from(iv, "base64url"));
    decipher.setAAD(aad(userId, provider));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  } catch (cause) {
    // Wrong CREDENTIALS_SECRET_KEY (rotated?) or a row that is not this user's: never a partial key.
    throw new AppError("CONFLICT", `The stored ${PROVIDERS[provider as ProviderId]?.label ?? provider} key cannot be decrypted (the server's CREDENTIALS_SECRET_KEY changed?): enter it again`, { cause });
  }
}

export interface CredentialInput {
  provider: ProviderId;
  /** undefined = keep, null = remove, string = replace. */
  apiKey?: string | null;
  baseUrl?: string | null;
  defaultModels?: string[];
}

export async function setCredential(db: Kysely<Database>, deps: { secret: Buffer | null; policy: AddressPolicy }, userId: string, input: CredentialInput) {
  if (input.apiKey && !deps.secret) {
    throw new AppError("UNAVAILABLE", "This server cannot store API keys: the administrator has not set CREDENTIALS_SECRET_KEY");
  }
  let baseUrl = input.baseUrl;
  if (baseUrl) {
    try {
      baseUrl = await checkBaseUrl(baseUrl, deps.policy);
    } catch (err) {
      if (err instanceof LlmError) throw new AppError("BAD_REQUEST", err.message);
      throw err;
    }
  }
  const enc = input.apiKey === undefined ? undefined : input.apiKey === null ? null : encryptKey(deps.secret!, userId, input.provider, input.apiKey);
  const values = {
    ...(enc !== undefined ? { api_key_enc: enc } : {}),
    ...(baseUrl !== undefined ? { base_url: baseUrl } : {}),
    ...(input.defaultModels ? { default_models: JSON.stringify(input.defaultModels) } : {}),
    updated_at: new Date(),
  };
  await db
    .insertInto("llm_credentials")
    .values({ user_id: userId, provider: input.provider, api_key_enc: enc ?? null, base_url: baseUrl ?? null, default_models: JSON.stringify(input.defaultModels ?? []) })
    .onConflict((oc) => oc.columns(["user_id", "provider"]).doUpdateSet(values))
    .execute();
  return (await listCredentials(db, userId)).find((c) => c.provider === input.provider)!;
}

/** What the settings page shows: whether a key is set, never the key. */
export async function listCredentials(db: Kysely<Database>, userId: string) {
  const rows = await db.selectFrom("llm_credentials").selectAll().where("user_id", "=", userId).orderBy("provider").execute();
  return rows.map((r) => ({
    provider: r.provider,
    hasKey: r.api_key_enc !== null,
    baseUrl: r.base_url,
    defaultModels: r.default_models as unknown as string[],
    updatedAt: new Date(r.updated_at).toISOString(),
  }));
}

export async function deleteCredential(db: Kysely<Database>, userId: string, provider: ProviderId): Promise<void> {
  await db.deleteFrom("llm_credentials").where("user_id", "=", userId).where("provider", "=", provider).execute();
}
