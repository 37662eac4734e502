import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import type { AnyTRPCRouter } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { AppContext } from "../src/context.js";
import { AppError } from "../src/errors.js";
import { createHttpHandler } from "../src/http/server.js";
import { type AppRouter, appRouter } from "../src/routers/_app.js";
import { publicProcedure, router } from "../src/trpc.js";
import { openTestApp } from "./helpers/app.js";

const PASSWORD = "correct horse battery staple";
const FOREIGN = "https://evil.example";
const uniqueEmail = () => `http-${randomUUID().slice(0, 8)}@example.com`;

async function listen(app: AppContext, r: AnyTRPCRouter): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(createHttpHandler(app, { router: r }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("the HTTP layer", () => {
  let app: AppContext;
  let base: string;
  let origin: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    app = await openTestApp("pglite");
    origin = app.config.allowedOrigins[0]!;
    const s = await listen(app, appRouter);
    base = s.url;
    stop = s.close;
  });
  afterAll(async () => {
    await stop?.();
    await app?.close();
  });

  const userCount = async (email: string) =>
    (await app.db.selectFrom("users").select("id").where("email", "=", email).execute()).length;

  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", origin, ...headers },
      body: JSON.stringify(body),
    });

  it("refuses cross-site form posts to a mutation whatever their encoding", async () => {
    const email = uniqueEmail();
    const form = new FormData();
    form.set("email", email);
    form.set("password", PASSWORD);
    const bodies: { body: BodyInit; contentType?: string }[] = [
      { body: JSON.stringify({ email, password: PASSWORD }), contentType: "text/plain" },
      { body: new URLSearchParams({ email, password: PASSWORD }), contentType: "application/x-www-form-urlencoded" },
      { body: form },
    ];
    for (const withOrigin of [true, false]) {
      for (const { body, contentType } of bodies) {
        const headers: Record<string, string> = withOrigin ? { origin: FOREIGN } : {};
        if (contentType) headers["content-type"] = contentType;
        const res = await fetch(`${base}/trpc/auth.register`, { method: "POST", headers, body });
        expect(res.status).toBe(415);
        expect(await res.json()).toEqual({
          error: {
            message: "Requests must be sent as application/json",
            code: -32015,
            data: { code: "UNSUPPORTED_MEDIA_TYPE", httpStatus: 415 },
          },
        });
      }
    }
    expect(await userCount(email)).toBe(0);
  });

  it("refuses a JSON mutation from a foreign origin", async () => {
    const email = uniqueEmail();
    const res = await postJson("auth.register", { email, password: PASSWORD }, { origin: FOREIGN });
    expect(res.status).toBe(403);
    expect(await userCount(email)).toBe(0);
    const sandboxed = await postJson("auth.register", { email, password: PASSWORD }, { origin: "null" });
    expect(sandboxed.status).toBe(403);
    expect(await userCount(email)).toBe(0);
  });

  it("refuses a subscription-style request from a foreign origin", async () => {
    const res = await fetch(`${base}/trpc/auth.me`, { headers: { origin: FOREIGN, accept: "text/event-stream" } });
    expect(res.status).toBe(403);
  });

  it("registers through a same-origin JSON post, sets an HttpOnly SameSite cookie, and the cookie signs in", async () => {
    const email = uniqueEmail();
    const res = await postJson("auth.register", { email, password: PASSWORD });
    expect(res.status).toBe(200);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^lab_session=[\w-]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
    const body = (await res.json()) as { result: { data: { user: { email: string }; token: string } } };
    expect(body.result.data.user.email).toBe(email);

    const me = await fetch(`${base}/trpc/auth.me`, { headers: { cookie: cookie.split(";")[0]! } });
    expect(await me.json()).toEqual({ result: { data: body.result.data.user } });
  });

  it("accepts the session token as a Bearer header, and logout ends it", async () => {
    const email = uniqueEmail();
    const { result } = (await (await postJson("auth.register", { email, password: PASSWORD })).json()) as {
      result: { data: { token: string } };
    };
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${base}/trpc`, headers: { authorization: `Bearer ${result.data.token}` } })],
    });
    expect(await client.auth.me.query()).toMatchObject({ email });
    const logout = await postJson("auth.logout", null, { authorization: `Bearer ${result.data.token}` });
    expect(logout.headers.get("set-cookie")).toBe("lab_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    expect(await client.auth.me.query()).toBeNull();
  });

  it("does not run a mutation sent as GET", async () => {
    const email = uniqueEmail();
    const input = encodeURIComponent(JSON.stringify({ email, password: PASSWORD }));
    const res = await fetch(`${base}/trpc/auth.register?input=${input}`);
    expect(res.status).toBe(405);
    expect(await userCount(email)).toBe(0);
  });

  it("shows clients clear validation messages", async () => {
    const res = await postJson("auth.register", { email: uniqueEmail(), password: "short" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe("password: Password must be at least 8 characters");
  });

  it("sends nosniff and no-referrer on every response, errors included", async () => {
    const responses = [
      await fetch(`${base}/trpc/auth.me`),
      await fetch(`${base}/trpc/auth.me`, { headers: { origin: FOREIGN } }),
      await fetch(`${base}/nowhere`),
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 403, 404]);
    for (const r of responses) {
      expect([r.headers.get("x-content-type-options"), r.headers.get("referrer-policy")]).toEqual(["nosniff", "no-referrer"]);
    }
  });

  it("maps service errors to their codes and hides internal ones, logging them on the server", async () => {
    const testRouter = router({
      conflict: publicProcedure.query(() => {
        throw new AppError("CONFLICT", "Already there");
      }),
      crash: publicProcedure.query(() => {
        throw new Error("connection string postgres://secret@db");
      }),
    });
    const s = await listen(app, testRouter);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const conflict = await fetch(`${s.url}/trpc/conflict`);
      expect(conflict.status).toBe(409);
      expect(((await conflict.json()) as { error: { message: string } }).error.message).toBe("Already there");
      const crash = await fetch(`${s.url}/trpc/crash`);
      expect(crash.status).toBe(500);
      const text = await crash.text();
      expect(text).not.toContain("secret");
      expect((JSON.parse(text) as { error: { message: string } }).error.message).toBe("Internal server error");
      expect(log).toHaveBeenCalledTimes(1);
      expect(String(log.mock.calls[0]?.[1])).toContain("postgres://secret@db");
    } finally {
      log.mockRestore();
      await s.close();
    }
  });
});
