import { type Algorithm, hash, verify } from "@node-rs/argon2";
import { z } from "zod";
import { COMMON_PASSWORDS } from "./common-passwords.js";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** OWASP's argon2id minimum (m=19 MiB, t=2, p=1); the PHC string records them, so raising them later is safe. */
export const ARGON2_OPTIONS = {
  algorithm: 2 satisfies Algorithm.Argon2id, // a const enum, which isolatedModules cannot read
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const ZNewPasswordSchema = z
  .string()
  .min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `Password must be at most ${PASSWORD_MAX} characters`)
  .refine((p) => !COMMON_PASSWORDS.has(p.toLowerCase()), "This password is too common; choose another");

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch (cause) {
    // A malformed stored hash is a bug, not a wrong password.
    throw new Error("Stored password hash could not be verified", { cause });
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the same argon2 time as a real check, so unknown emails cannot be told apart by latency. */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword("not-a-real-password-only-for-timing");
  await verify(await dummyHash, password);
}
