import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../src/context.js";
import { validateAuthSession } from "../src/services/auth-sessions.js";
import { register, toUserDto } from "../src/services/auth.js";
import { type TrpcContext, cellProcedure, createCallerFactory, router, sessionProcedure } from "../src/trpc.js";
import { openTestApp } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";

// The base procedures on their own, so tenancy is tested apart from any feature router.
const probe = router({
  session: sessionProcedure.query(({ ctx }) => ({ sessionId: ctx.session.id, owner: ctx.session.user_id })),
  cell: cellProcedure.query(({ ctx }) => ({ cellId: ctx.cell.id, sessionId: ctx.session.id })),
});
const createCaller = createCallerFactory(probe);

describe.each(DATABASES)("ownership checks in the base procedures ($name)", ({ name }) => {
  let app: AppContext;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let sessionId: string;
  let cellId: string;

  async function callerAs(who: { token: string } | null) {
    const session = who ? await validateAuthSession(app.db, who.token, app.config.auth) : null;
    const ctx: TrpcContext = {
      app,
      user: session ? toUserDto(session.user) : null,
      authSessionToken: who?.token ?? null,
      req: { ip: "192.0.2.9", origin: null, userAgent: null },
      resHeaders: { setCookie: () => {} },
    };
    return createCaller(ctx);
  }

  beforeAll(async () => {
    app = await openTestApp(name);
    const signUp = async (tag: string) => {
      const r = await register(app.db, { email: `${tag}-${randomUUID()}@example.com`, password: "a long passphrase" }, app.config.auth);
      return { id: r.user.id, token: r.token };
    };
    alice = await signUp("alice");
    bob = await signUp("bob");
    sessionId = randomUUID();
    cellId = randomUUID();
    await app.db
      .insertInto("analysis_sessions")
      .values({ id: sessionId, user_id: alice.id, title: "Alice's", workspace_id: randomUUID() })
      .execute();
    await app.db
      .insertInto("cells")
      .values({ id: cellId, session_id: sessionId, position: 0, source: "user", code: "1", status: "ok", outputs: "[]" })
      .execute();
  });
  afterAll(async () => {
    await app?.close();
  });

  it("gives the owner their session and cell", async () => {
    const caller = await callerAs(alice);
    expect(await caller.session({ sessionId })).toEqual({ sessionId, owner: alice.id });
    expect(await caller.cell({ cellId })).toEqual({ cellId, sessionId });
  });

  it("answers another user exactly as if the session or cell did not exist", async () => {
    const caller = await callerAs(bob);
    await expect(caller.session({ sessionId })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Session not found" });
    await expect(caller.session({ sessionId: randomUUID() })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Session not found" });
    await expect(caller.cell({ cellId })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Cell not found" });
    await expect(caller.cell({ cellId: randomUUID() })).rejects.toMatchObject({ code: "NOT_FOUND", message: "Cell not found" });
  });

  it("refuses anonymous callers and ids that are not uuids", async () => {
    await expect((await callerAs(null)).session({ sessionId })).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    await expect((await callerAs(alice)).session({ sessionId: "1 or 1=1" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
