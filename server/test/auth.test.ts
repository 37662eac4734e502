import { createHash, randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../src/context.js";
import { register } from "../src/services/auth.js";
import { LOGIN_THROTTLE } from "../src/services/login-throttle.js";
import { callerFor, openTestApp } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";

const PASSWORD = "correct horse battery staple";
const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;
const octet = () => Math.floor(Math.random() * 250) + 1;
const uniqueIp = () => `10.${octet()}.${octet()}.${octet()}`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

describe.each(DATABASES)("accounts and sessions ($name)", ({ name }) => {
  let app: AppContext;
  beforeAll(async () => {
    app = await openTestApp(name);
  });
  afterAll(async () => {
    await app?.close();
  });

  async function signUp(email = uniqueEmail("user"), password = PASSWORD) {
    const { caller } = await callerFor(app);
    return caller.auth.register({ email, password });
  }

  async function expectLoginError(email: string, ip: string, password: string, code: TRPCError["code"], message: string) {
    const { caller } = await callerFor(app, { ip });
    await expect(caller.auth.login({ email, password })).rejects.toMatchObject({ code, message });
  }

  it("registers with a normalised email, sets an HttpOnly SameSite cookie and signs the user in", async () => {
    const { caller, cookies } = await callerFor(app);
    const email = uniqueEmail("Ada");
    const result = await caller.auth.register({ email: `  ${email.toUpperCase()} `, password: PASSWORD, displayName: " Ada " });
    expect(result).toEqual({
      user: { id: expect.any(String), email: email.toLowerCase(), displayName: "Ada", createdAt: expect.any(String) },
      token: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(cookies).toEqual([expect.stringMatching(/^lab_session=[\w-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/)]);
    expect(cookies[0]).toContain(`lab_session=${result.token};`);
    const me = await (await callerFor(app, { token: result.token })).caller.auth.me();
    expect(me).toEqual(result.user);
  });

  it("me returns null without a session or with an unknown token", async () => {
    expect(await (await callerFor(app)).caller.auth.me()).toBeNull();
    expect(await (await callerFor(app, { token: "not-a-real-token" })).caller.auth.me()).toBeNull();
  });

  it("issues tokens of at least 128 bits and stores only their sha256", async () => {
    const { user, token } = await signUp();
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    const rows = await app.db.selectFrom("auth_sessions").select("id").where("user_id", "=", user.id).execute();
    expect(rows).toEqual([{ id: sha256(token) }]);
    expect(rows[0]?.id).not.toBe(token);
  });

  it("issues a new session on every login", async () => {
    const email = uniqueEmail("again");
    const first = await signUp(email);
    const { caller } = await callerFor(app);
    const second = await caller.auth.login({ email, password: PASSWORD });
    const third = await caller.auth.login({ email, password: PASSWORD });
    expect(new Set([first.token, second.token, third.token]).size).toBe(3);
    const ids = await app.db.selectFrom("auth_sessions").select("id").where("user_id", "=", first.user.id).execute();
    expect(ids.map((r) => r.id).sort()).toEqual([first.token, second.token, third.token].map(sha256).sort());
  });

  it("logout ends the session and clears the cookie", async () => {
    const { token, user } = await signUp();
    const { caller, cookies } = await callerFor(app, { token });
    expect(await caller.auth.logout()).toEqual({ ok: true });
    expect(cookies).toEqual(["lab_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"]);
    expect(await (await callerFor(app, { token })).caller.auth.me()).toBeNull();
    expect(await app.db.selectFrom("auth_sessions").select("id").where("user_id", "=", user.id).execute()).toEqual([]);
  });

  it("rejects an expired session", async () => {
    const { token } = await signUp();
    await app.db.updateTable("auth_sessions").set({ expires_at: new Date(Date.now() - 1000) }).where("id", "=", sha256(token)).execute();
    expect(await (await callerFor(app, { token })).caller.auth.me()).toBeNull();
    expect(await app.db.selectFrom("auth_sessions").select("id").where("id", "=", sha256(token)).execute()).toEqual([]);
  });

  it("extends a session once less than half of its lifetime is left", async () => {
    const { token } = await signUp();
    const ttl = app.config.auth.sessionTtlMs;
    await app.db.updateTable("auth_sessions").set({ expires_at: new Date(Date.now() + ttl / 4) }).where("id", "=", sha256(token)).execute();
    await callerFor(app, { token });
    const row = await app.db.selectFrom("auth_sessions").select("expires_at").where("id", "=", sha256(token)).executeTakeFirstOrThrow();
    expect(Math.abs(row.expires_at.getTime() - (Date.now() + ttl))).toBeLessThan(60_000);
  });

  it("hashes passwords with argon2id, m=19456 KiB, t=2, p=1", async () => {
    const { user } = await signUp();
    const row = await app.db.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(row.password_hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$")).toBe(true);
  });

  it("refuses short, long and common passwords with clear messages", async () => {
    const cases = [
      { password: "short1!", message: "Password must be at least 8 characters" },
      { password: "x".repeat(129), message: "Password must be at most 128 characters" },
      { password: "Password123", message: "This password is too common; choose another" },
      { password: "qwertyuiop", message: "This password is too common; choose another" },
    ];
    for (const c of cases) {
      const { caller } = await callerFor(app);
      const attempt = caller.auth.register({ email: uniqueEmail("weak"), password: c.password });
      await expect(attempt).rejects.toMatchObject({ code: "BAD_REQUEST" });
      await expect(attempt).rejects.toThrow(c.message);
      // The service checks too, for callers that are not routers (the CLI).
      await expect(register(app.db, { email: uniqueEmail("weak"), password: c.password }, app.config.auth)).rejects.toMatchObject(
        { code: "BAD_REQUEST", message: c.message },
      );
    }
  });

  it("refuses a second account for the same email, whatever its case, with a generic message", async () => {
    const email = uniqueEmail("dup");
    await signUp(email);
    const { caller } = await callerFor(app);
    await expect(caller.auth.register({ email: email.toUpperCase(), password: "another good passphrase" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: "An account could not be created with this email",
    });
  });

  it("gives the same error for an unknown email and for a wrong password", async () => {
    const email = uniqueEmail("known");
    await signUp(email);
    await expectLoginError(email, uniqueIp(), "wrong password!", "UNAUTHORIZED", "Invalid email or password");
    await expectLoginError(uniqueEmail("nobody"), uniqueIp(), PASSWORD, "UNAUTHORIZED", "Invalid email or password");
  });

  it("throttles an account after repeated failures, even with the right password, until the window has passed", async () => {
    const email = uniqueEmail("target");
    const other = uniqueEmail("bystander");
    await signUp(email);
    await signUp(other);
    const ip = uniqueIp();
    for (let i = 0; i < LOGIN_THROTTLE.maxPerAccount; i++) {
      await expectLoginError(email, ip, `guess ${i} wrong`, "UNAUTHORIZED", "Invalid email or password");
    }
    const tooMany = "Too many failed sign-in attempts. Try again in a few minutes.";
    await expectLoginError(email, ip, PASSWORD, "TOO_MANY_REQUESTS", tooMany);
    await expectLoginError(email, uniqueIp(), PASSWORD, "TOO_MANY_REQUESTS", tooMany);
    // Another account from the same address is not affected.
    await expect((await callerFor(app, { ip })).caller.auth.login({ email: other, password: PASSWORD })).resolves.toMatchObject({
      user: { email: other },
    });

    await app.db
      .updateTable("login_failures")
      .set({ at: sql<Date>`at - make_interval(secs => ${LOGIN_THROTTLE.windowMs / 1000 + 60})` })
      .where("key", "in", [`account:${email}`, `ip:${ip}`])
      .execute();
    const after = await (await callerFor(app, { ip })).caller.auth.login({ email, password: PASSWORD });
    expect(after.user.email).toBe(email);
    expect(await app.db.selectFrom("login_failures").select("id").where("key", "=", `account:${email}`).execute()).toEqual([]);
  });

  it("throttles an address after many failures across accounts while other addresses still get in", async () => {
    const email = uniqueEmail("victim");
    await signUp(email);
    const ip = uniqueIp();
    for (let i = 0; i < LOGIN_THROTTLE.maxPerIp; i++) {
      await expectLoginError(uniqueEmail("spray"), ip, "spray password", "UNAUTHORIZED", "Invalid email or password");
    }
    await expectLoginError(email, ip, PASSWORD, "TOO_MANY_REQUESTS", "Too many failed sign-in attempts. Try again in a few minutes.");
    const elsewhere = await (await callerFor(app, { ip: uniqueIp() })).caller.auth.login({ email, password: PASSWORD });
    expect(elsewhere.user.email).toBe(email);
  });

  it("never returns a password hash from any procedure", async () => {
    const email = uniqueEmail("leak");
    const registered = await signUp(email);
    const { caller } = await callerFor(app, { token: registered.token });
    const outputs = [registered, await caller.auth.login({ email, password: PASSWORD }), await caller.auth.me()];
    for (const out of outputs) expect(JSON.stringify(out)).not.toMatch(/password|argon2/i);
  });
});

