import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../src/context.js";
import { checkAllowance, recordUsage } from "../src/services/usage.js";
import { type TestCaller, callerFor, openTestApp } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";

const ADMIN = "ops@example.org";

describe.each(DATABASES)("administering quotas ($name)", ({ name }) => {
  let app: AppContext;
  let admin: TestCaller;
  let user: TestCaller;
  let userId: string;

  beforeAll(async () => {
    app = await openTestApp(name);
    app.config.auth.adminEmails = [ADMIN];
    const anon = (await callerFor(app)).caller;
    admin = await callerFor(app, { token: (await anon.auth.register({ email: "Ops@Example.org", password: "operator pass 1" })).token });
    const registered = await anon.auth.register({ email: "r@example.org", password: "researcher pass 1" });
    user = await callerFor(app, { token: registered.token });
    userId = registered.user.id;
  });
  afterAll(() => app?.close());

  it("is refused to anyone not named in LAB_ADMIN_EMAILS", async () => {
    await expect(user.caller.admin.quotas()).rejects.toMatchObject({ code: "FORBIDDEN", message: "Administrators only" });
    await expect(user.caller.admin.setQuota({ email: "r@example.org", model: "openai:gpt-x", tokensPerDay: 1 })).rejects.toThrow("Administrators only");
    expect(await admin.caller.admin.quotas()).toEqual([]);
  });

  it("sets, lists and removes per-user and default quotas, naming unknown accounts", async () => {
    await admin.caller.admin.setQuota({ email: "R@example.org", model: "openai:gpt-x", tokensPerDay: 100 });
    const after = await admin.caller.admin.setQuota({ email: null, model: "openai:gpt-x", tokensPerDay: 5000 });
    expect(after).toEqual([
      { email: "r@example.org", model: "openai:gpt-x", tokensPerDay: 100 },
      { email: null, model: "openai:gpt-x", tokensPerDay: 5000 },
    ]);
    await expect(admin.caller.admin.setQuota({ email: "nobody@example.org", model: "openai:gpt-x", tokensPerDay: 1 })).rejects.toThrow(
      "No account with the email nobody@example.org",
    );
    await expect(admin.caller.admin.setQuota({ email: null, model: "gpt-x", tokensPerDay: 1 })).rejects.toThrow(/model must be provider:model/);
    expect(await admin.caller.admin.setQuota({ email: null, model: "openai:gpt-x", tokensPerDay: null })).toEqual([
      { email: "r@example.org", model: "openai:gpt-x", tokensPerDay: 100 },
    ]);
  });

  it("the quota an admin set refuses the user's request before any provider is called", async () => {
    await expect(checkAllowance(app.db, app.config.llm, userId, ["openai:gpt-x"])).resolves.toBeUndefined();
    await recordUsage(app.db, userId, "openai:gpt-x", { tokensIn: 80, tokensOut: 40, costUsd: null });
    await expect(checkAllowance(app.db, app.config.llm, userId, ["openai:gpt-x"])).rejects.toThrow(
      /^Daily token quota reached for openai:gpt-x: 120 of 100 tokens used today \(UTC\)/,
    );
  });
});
