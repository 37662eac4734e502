import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { TSessionEvent } from "../src/services/events.js";
import { setQuota } from "../src/services/usage.js";
import { REPO_ROOT, type TestCaller } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";
import { FakeLlm } from "./helpers/fake-llm.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";
import { attachFile, collectEvents, waitForTask } from "./helpers/llm.js";

const DIABETES = path.join(REPO_ROOT, "notebooks/data/diabetes.csv");
const USER_KEY = "sk-user-own-key-0123456789abcdef";

const answer = (code: string, prose = "Here is the analysis.") => `${prose}\n\n\`\`\`python\n${code}\n\`\`\`\n`;
const types = (events: { event: TSessionEvent }[]) => events.map((e) => e.event.type).filter((t) => t.startsWith("task."));

describe.each(DATABASES)("the analysis pipeline with real kernels and the fake provider ($name)", ({ name }) => {
  let lab: Lab;
  let fake: FakeLlm;
  let alice: TestCaller;
  let sessionId: string;

  beforeAll(async () => {
    fake = await new FakeLlm().start();
    lab = await startLab(name, {
      LAB_KERNELS_PER_USER: "4",
      OPENAI_API_KEY: fake.apiKey,
      OPENAI_BASE_URL: `${fake.url}/v1`,
      ANTHROPIC_API_KEY: fake.apiKey,
      ANTHROPIC_BASE_URL: fake.url,
      GEMINI_API_KEY: fake.apiKey,
      GEMINI_BASE_URL: `${fake.url}/v1beta/openai/`,
      CREDENTIALS_SECRET_KEY: Buffer.alloc(32, 3).toString("base64"),
      LAB_LLM_ALLOWED_PRIVATE_HOSTS: "127.0.0.1",
      LAB_LLM_IDLE_SECONDS: "3",
      LAB_LLM_BACKOFF_MS: "10",
    });
    alice = await lab.user();
    sessionId = (await alice.caller.sessions.create({ title: "血压" })).id;
    await attachFile(lab, sessionId, DIABETES);
  });
  afterAll(async () => {
    await lab?.close();
    await fake?.close();
  });

  it("answers a Chinese request offline by default: a recipe, its cell, a figure with its titles, and a plain interpretation", async () => {
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "请做一个性别与血压的相关性分析并绘图" });
    expect(started.runs.map((r) => r.model)).toEqual(["offline:recipes"]);
    const task = await waitForTask(alice, started.id);
    const runData = task.runs[0]!;
    expect({ status: task.status, runStatus: runData.status, runsIn: runData.runsIn }).toEqual({ status: "ok", runStatus: "ok", runsIn: sessionId });
    expect(runData.steps.map((s) => [s.kind, s.attempt, s.template, s.templateVersion])).toEqual([
      ["code", 1, "builtin:data-analysis", "1"],
      ["interpret", 1, "builtin:data-analysis", "1"],
    ]);
    expect(runData.steps[0]!.answer).toContain("内置配方引擎（不是大语言模型）");
    expect(runData.steps[0]!.answer).toMatch(/`group` = `sex`.*`value` = `blood_pressure`/s);
    const cell = (await alice.caller.sessions.get({ sessionId })).cells.find((c) => c.id === runData.cellId)!;
    expect({ status: cell.status, source: cell.source }).toEqual({ status: "ok", source: "model" });
    expect(text(cell)).toMatch(/Welch t 检验：t = -?\d/);
    const figure = cell.outputs.find((o) => "data" in o && o.data["image/png"]);
    expect(figure && "data" in figure ? figure.data["text/plain"] : null).toBe("<Figure: title 'blood_pressure 按 sex 分组', x 'sex', y 'blood_pressure'>");
    expect(runData.interpretation).toMatch(/^内置配方引擎（非大语言模型）根据输出整理的解读：\n\n- blood_pressure 均值/);
  });

  it("answers an English request offline, matching words against the columns", async () => {
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "Is BMI correlated with disease progression? Plot it." });
    const task = await waitForTask(alice, started.id);
    expect(task.status).toBe("ok");
    expect(task.runs[0]!.steps[0]!.answer).toMatch(/built-in recipe engine, not an LLM[\s\S]*`correlation`[\s\S]*`columns` = `bmi`, `progression`/);
    expect(task.runs[0]!.interpretation).toMatch(/bmi and progression \(n = 442\): Pearson r = 0\.5/);
  });

  it("streams an OpenAI answer end to end: tokens in order, then code, cell, interpretation; every step and its usage stored", async () => {
    const reply = answer("import pandas as pd\ndf = pd.read_csv('/data/diabetes.csv')\nprint('mean BP', round(df.blood_pressure.mean(), 2))");
    fake.script("gpt-test", { text: reply, chunkChars: 5, usage: { input: 1200, output: 80 } }, { text: "Mean blood pressure is 94.65.", usage: { input: 300, output: 9 } });
    await lab.app.services.events.drain(); // earlier tasks' events stored, so the resume point is past them
    const last = await lab.app.db.selectFrom("session_events").select((eb) => eb.fn.max("id").as("id")).where("session_id", "=", sessionId).executeTakeFirstOrThrow();
    const stream = collectEvents(alice, sessionId, String(last.id ?? "0"), (e) => e.type === "task.done");
    await new Promise((r) => setTimeout(r, 200)); // subscribed before the task starts: tokens are live-only
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "mean blood pressure", models: ["openai:gpt-test"] });
    const events = (await stream.done).filter((e) => "taskId" in e.event && e.event.taskId === started.id);
    const tokens = events.flatMap((e) => (e.event.type === "task.token" && e.event.step === "code" ? [e.event] : []));
    expect(tokens.map((t) => t.text).join("")).toBe(reply);
    expect(tokens.map((t) => t.offset)).toEqual(tokens.map((_, i) => tokens.slice(0, i).reduce((n, t) => n + t.text.length, 0)));
    const order = [...new Set(types(events))];
    expect(order).toEqual(["task.created", "task.token", "task.answer", "task.usage", "task.code", "task.attempt", "task.interpretation", "task.run.done", "task.done"]);
    // Tokens were never stored; everything else was, so a reconnecting client has the whole answer.
    const stored = await lab.app.db.selectFrom("session_events").select("type").where("session_id", "=", sessionId).where("type", "like", "task.%").execute();
    expect(stored.some((r) => r.type === "task.token")).toBe(false);

    const task = await waitForTask(alice, started.id);
    const r = task.runs[0]!;
    expect({ status: r.status, interpretation: r.interpretation, code: r.code }).toEqual({ status: "ok", interpretation: "Mean blood pressure is 94.65.", code: reply.split("```python\n")[1]!.split("```")[0] });
    expect(r.steps.map((s) => ({ kind: s.kind, model: s.model, tokensIn: s.tokensIn, tokensOut: s.tokensOut, cellStatus: s.cellStatus }))).toEqual([
      { kind: "code", model: "openai:gpt-test", tokensIn: 1200, tokensOut: 80, cellStatus: "ok" },
      { kind: "interpret", model: "openai:gpt-test", tokensIn: 300, tokensOut: 9, cellStatus: null },
    ]);
    expect(JSON.stringify(r.steps[0]!.prompt)).toContain("/data/diabetes.csv");
    expect(JSON.stringify(fake.received.at(-1)!.body)).toContain("mean BP 94.65");
    const usage = await alice.caller.llm.usage.mine();
    expect(usage.find((u) => u.model === "openai:gpt-test")).toMatchObject({ requests: 2, tokensIn: 1500, tokensOut: 89 });
  });

  it("repairs failing code: the traceback goes back to the model, the second attempt runs", async () => {
    fake.script(
      "gpt-repair",
      { text: answer("print(undefined_name)") },
      { text: answer("undefined_name = 41 + 1\nprint(undefined_name)") },
      { text: "It printed 42." },
    );
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "print the answer", models: ["openai:gpt-repair"] });
    const task = await waitForTask(alice, started.id);
    const r = task.runs[0]!;
    expect(r.steps.map((s) => [s.kind, s.attempt, s.cellStatus])).toEqual([["code", 1, "error"], ["repair", 2, "ok"], ["interpret", 1, null]]);
    const repairRequest = JSON.stringify(fake.received.filter((x) => x.model === "gpt-repair")[1]!.body);
    expect(repairRequest).toContain("NameError");
    expect(repairRequest).toContain("undefined_name");
    expect(task.status).toBe("ok");
  });

  it("stops after the configured retries when the code keeps failing, and says so", async () => {
    fake.script("gpt-broken", { text: answer("1/0") }, { text: answer("1/0") });
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "divide", models: ["openai:gpt-broken"], retries: 1 });
    const task = await waitForTask(alice, started.id);
    expect({ status: task.status, error: task.runs[0]!.error }).toEqual({ status: "error", error: { kind: "kernel", message: "The code still failed after 2 attempts: ZeroDivisionError: division by zero" } });
  });

  it("fails plainly on an answer with no code", async () => {
    fake.script("gpt-prose", { text: "I would need to see the data first." });
    const task = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId, request: "x", models: ["openai:gpt-prose"] })).id);
    expect(task.runs[0]!.error).toEqual({ kind: "no_code", message: "The model's answer contains no Python code to run" });
  });

  it("runs two models at once, each in its own kernel started from the session's state, leaving the session alone", async () => {
    expect((await run(alice, sessionId, "shared = 'from the session'\nwho = 'session'")).status).toBe("ok");
    fake.script("gpt-a", { text: answer("print(shared)\nwho = 'model A'\nprint(who)") }, { text: "A done" });
    fake.script("claude-b", { text: answer("print(shared)\nwho = 'model B'\nprint(who)") }, { text: "B done" });
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "who are you", models: ["openai:gpt-a", "anthropic:claude-b"] });
    const task = await waitForTask(alice, started.id);
    expect(task.status).toBe("ok");
    const runsIn = task.runs.map((r) => r.runsIn);
    expect(new Set([...runsIn, sessionId]).size).toBe(3);
    for (const [i, who] of [[0, "model A"], [1, "model B"]] as const) {
      const r = task.runs.find((x) => x.model === ["openai:gpt-a", "anthropic:claude-b"][i])!;
      const branch = await alice.caller.sessions.get({ sessionId: r.runsIn });
      expect(text(branch.cells.find((c) => c.id === r.cellId)!)).toBe(`from the session\n${who}\n`);
      expect(r.interpretation).toBe(i === 0 ? "A done" : "B done");
    }
    expect(text(await run(alice, sessionId, "print(who)"))).toBe("session\n");
    // Branches are part of the task, not the user's history; their kernels are stopped when their run ends.
    expect((await alice.caller.sessions.list()).map((s) => s.id)).not.toContain(runsIn[0]);
    expect(runsIn.map((id) => lab.app.services.kernels.isLive(id))).toEqual([false, false]);
    // The winner can be adopted into the session.
    const adopted = await alice.caller.llm.analysis.adopt({ taskId: started.id, runId: task.runs[1]!.id });
    expect(adopted.code).toContain("model B");
  });

  it("exports the session as a notebook with each request and its interpretations where they happened", async () => {
    const s = (await alice.caller.sessions.create({ title: "notes" })).id;
    await attachFile(lab, s, DIABETES);
    const first = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId: s, request: "请做一个性别与血压的相关性分析并绘图" })).id);
    fake.script("gpt-a", { text: answer("print('A')") }, { text: "A done" });
    fake.script("claude-b", { text: answer("print('B')") }, { text: "B done" });
    await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId: s, request: "who are you", models: ["openai:gpt-a", "anthropic:claude-b"] })).id);
    const own = await run(alice, s, "print('mine')");
    const nb = await alice.caller.sessions.exportNotebook({ sessionId: s });
    const shape = nb.cells.map((c) => (c.cell_type === "code" ? `code ${c.id}` : String(c.source).split("\n")[0]));
    expect(shape).toEqual([
      "**Request:** 请做一个性别与血压的相关性分析并绘图",
      `code ${first.runs[0]!.cellId}`,
      expect.stringMatching(/^内置配方引擎/),
      "**Request:** who are you",
      "### openai:gpt-a",
      "### anthropic:claude-b",
      `code ${own.id}`,
    ]);
    // The branches' code is quoted, not run: the notebook re-runs as the session did.
    expect(nb.cells[4]!.source).toBe("### openai:gpt-a\n\n```python\nprint('A')\n```\n\nA done");
    const file = path.join(os.tmpdir(), `nb-notes-${s}.ipynb`);
    writeFileSync(file, JSON.stringify(nb));
    execFileSync(path.join(REPO_ROOT, ".venvs/kernel/bin/python"), ["-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))", file]);
    await alice.caller.sessions.delete({ sessionId: s }); // and its kernel: the tests after this one count on alice's cap
  });

  it("cancels mid-stream: the provider connection closes and the task ends cancelled", async () => {
    fake.script("gpt-slow", { text: "```python\nprint('never')\n```".repeat(5), chunkChars: 3, stallAfter: 3 });
    const started = await alice.caller.llm.analysis.start({ sessionId, request: "slow", models: ["openai:gpt-slow"] });
    for (let i = 0; i < 100 && !fake.received.some((r) => r.model === "gpt-slow" && r.sentAt.length === 3); i++) await new Promise((r) => setTimeout(r, 50));
    const cancelled = await alice.caller.llm.analysis.cancel({ taskId: started.id });
    expect({ status: cancelled.status, run: cancelled.runs[0]!.status, kind: cancelled.runs[0]!.error?.kind }).toEqual({ status: "cancelled", run: "cancelled", kind: "cancelled" });
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.received.find((r) => r.model === "gpt-slow")!.closedByClient).toBe(true);
  });

  it("times out a provider that goes silent, and reports it plainly", async () => {
    fake.script("gpt-silent", ...Array.from({ length: 4 }, () => ({ text: "abc", stallAfter: 0 })));
    const task = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId, request: "x", models: ["openai:gpt-silent"] })).id);
    expect(task.runs[0]!.error).toEqual({ kind: "timeout", message: "The provider did not answer in time (silent for 3 s)" });
  }, 60_000);

  it("refuses a request over the daily quota before calling any provider", async () => {
    const me = await alice.caller.auth.me();
    await setQuota(lab.app.db, { userId: me!.id, model: "openai:gpt-test", tokensPerDay: 100 });
    const before = fake.received.length;
    await expect(alice.caller.llm.analysis.start({ sessionId, request: "again", models: ["openai:gpt-test"] })).rejects.toThrow(/Daily token quota reached for openai:gpt-test: 1589 of 100 tokens/);
    expect(fake.received.length).toBe(before);
    await setQuota(lab.app.db, { userId: me!.id, model: "openai:gpt-test", tokensPerDay: null });
  });

  it("uses a user's own key and base URL (Gemini's endpoint), never returning or logging the key", async () => {
    const bob = await lab.user();
    const own = (await bob.caller.sessions.create({ title: "bob" })).id;
    await attachFile(lab, own, DIABETES);
    const logged: string[] = [];
    const spies = (["log", "error", "warn", "info"] as const).map((m) => vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logged.push(a.map(String).join(" "))));
    try {
      // Wrong key first: the error is plain and carries no key.
      await bob.caller.llm.credentials.set({ provider: "gemini", apiKey: "sk-wrong-key-zzz", baseUrl: `${fake.url}/v1beta/openai/`, defaultModels: ["gemini-2.5-flash"] });
      const bad = await waitForTask(bob, (await bob.caller.llm.analysis.start({ sessionId: own, request: "x" })).id);
      expect(bad.runs[0]!.error).toEqual({ kind: "auth", message: expect.stringMatching(/^The provider refused the API key/) });

      const saved = await bob.caller.llm.credentials.set({ provider: "gemini", apiKey: USER_KEY });
      fake.apiKey === USER_KEY || Object.assign(fake, { apiKey: USER_KEY });
      fake.script("gemini-2.5-flash", { text: answer("print('gemini ran')") }, { text: "Gemini says it ran." });
      const task = await waitForTask(bob, (await bob.caller.llm.analysis.start({ sessionId: own, request: "run it" })).id);
      expect({ status: task.status, model: task.runs[0]!.model, interpretation: task.runs[0]!.interpretation }).toEqual({ status: "ok", model: "gemini:gemini-2.5-flash", interpretation: "Gemini says it ran." });
      expect(fake.received.at(-1)!.auth).toBe(`Bearer ${USER_KEY}`);

      const everything = JSON.stringify([saved, await bob.caller.llm.credentials.list(), await bob.caller.llm.analysis.models(), task, await bob.caller.llm.usage.mine(), await bob.caller.sessions.get({ sessionId: own }), await lab.app.db.selectFrom("llm_credentials").selectAll().execute(), await lab.app.db.selectFrom("session_events").selectAll().execute()]);
      expect(everything).not.toContain(USER_KEY);
      expect(everything).not.toContain("sk-wrong-key-zzz");
      expect(saved).toEqual({ provider: "gemini", hasKey: true, baseUrl: `${fake.url}/v1beta/openai`, defaultModels: ["gemini-2.5-flash"], updatedAt: expect.any(String) });
      const k = await run(bob, own, "import os; print(sorted(k for k in os.environ if 'KEY' in k or 'SECRET' in k))");
      expect(text(k)).toBe("[]\n");
    } finally {
      spies.forEach((s) => s.mockRestore());
      Object.assign(fake, { apiKey: "sk-fake-test-key" });
    }
    expect(logged.join("\n")).not.toContain(USER_KEY);
    expect(logged.join("\n")).not.toContain("sk-wrong-key-zzz");
  });

  it("refuses a user's base URL that points at a private address unless the admin allowed it", async () => {
    for (const baseUrl of ["http://10.0.0.7/v1", "http://169.254.169.254/v1", "http://[::1]:8000/v1"]) {
      await expect(alice.caller.llm.credentials.set({ provider: "vllm", baseUrl })).rejects.toThrow(/private, loopback or link-local address/);
    }
    expect((await alice.caller.llm.credentials.list()).find((c) => c.provider === "vllm")).toBeUndefined();
  });

  it("says what is missing when a model has no key", async () => {
    await expect(alice.caller.llm.analysis.start({ sessionId, request: "x", models: ["deepseek:deepseek-chat"] })).rejects.toThrow(/No API key for DeepSeek/);
    await expect(alice.caller.llm.analysis.start({ sessionId, request: "x", models: ["nope:model"] })).rejects.toThrow(/Unknown model "nope:model"/);
  });

  it("writes a plan without running anything in strategy mode, and records users' own template versions", async () => {
    const cellsBefore = (await alice.caller.sessions.get({ sessionId })).cells.length;
    const plan = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId, request: "compare blood pressure between sexes", mode: "strategy" })).id);
    expect({ status: plan.status, template: plan.template, steps: plan.runs[0]!.steps.map((s) => s.kind) }).toEqual({ status: "ok", template: "builtin:analysis-strategy", steps: ["plan"] });
    expect(plan.runs[0]!.interpretation).toMatch(/^Analysis plan from the built-in recipe engine \(not an LLM\); nothing has been run\./);
    expect((await alice.caller.sessions.get({ sessionId })).cells.length).toBe(cellsBefore);

    const body = (v: string) => `name: my-plan\nmode: strategy\ntitle: {en: Mine, zh: 我的}\nsystem: 'Plan ${v}. {{datasets}}'\nuser: '{{request}}'\n`;
    const v1 = await alice.caller.llm.templates.save({ body: body("one") });
    const v2 = await alice.caller.llm.templates.save({ body: body("two") });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    fake.script("gpt-plan", { text: "1. Look at the data." });
    const t = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId, request: "plan", templateId: v1.id, models: ["openai:gpt-plan"] })).id);
    expect({ template: t.template, version: t.templateVersion, plan: t.runs[0]!.interpretation }).toEqual({ template: "user:my-plan", version: "1", plan: "1. Look at the data." });
    expect(JSON.stringify(fake.received.at(-1)!.body)).toContain("Plan one.");
    expect((await alice.caller.llm.templates.versions({ name: "my-plan" })).map((x) => x.version)).toEqual([2, 1]);
  });

  it("history finds sessions by title, by a request made to a model, by a cell's code, and by model", async () => {
    const asked = (await alice.caller.sessions.create({ title: "history: asked" })).id;
    await attachFile(lab, asked, DIABETES);
    await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId: asked, request: "年龄与BMI的相关性，找历史用" })).id);
    const coded = (await alice.caller.sessions.create({ title: "history: coded" })).id;
    await run(alice, coded, "history_marker_q7 = 1");
    const ids = async (input: { query?: string; model?: string }) => (await alice.caller.sessions.list({ ...input, limit: 200 })).map((x) => x.id);
    expect(await ids({ query: "history: coded" })).toEqual([coded]);
    expect(await ids({ query: "找历史用" })).toEqual([asked]);
    expect(await ids({ query: "history_marker_q7" })).toEqual([coded]);
    expect(await ids({ query: "找历史用", model: "offline:recipes" })).toEqual([asked]);
    expect(await ids({ query: "找历史用", model: "openai:gpt-test" })).toEqual([]);
    const rows = await alice.caller.sessions.list({ limit: 200 });
    expect(rows.find((x) => x.id === asked)!.models).toEqual(["offline:recipes"]);
    expect(rows.find((x) => x.id === coded)!.models).toEqual([]);
  });

  it("follows the user's analysis style: the interpretation's language and the plot theme (CJK fonts kept)", async () => {
    expect(await alice.caller.preferences.get()).toEqual({ interpretationLanguage: "auto", plotTheme: "default" });
    await alice.caller.preferences.set({ interpretationLanguage: "en", plotTheme: "ggplot" });
    try {
      const s = (await alice.caller.sessions.create({ title: "style" })).id;
      await attachFile(lab, s, DIABETES);
      const task = await waitForTask(alice, (await alice.caller.llm.analysis.start({ sessionId: s, request: "请做一个性别与血压的相关性分析并绘图" })).id);
      expect(task.runs[0]!.interpretation).toMatch(/^Interpretation by the built-in recipe engine \(not an LLM\)/);
      const probe = await run(alice, s, "import matplotlib.pyplot as plt\nprint(plt.rcParams['axes.facecolor'], plt.rcParams['font.sans-serif'][0])");
      expect(text(probe)).toBe("#E5E5E5 Noto Sans CJK SC\n");
      await expect(alice.caller.preferences.set({ interpretationLanguage: "fr" as "en", plotTheme: "default" })).rejects.toThrow(/interpretationLanguage/);
    } finally {
      await alice.caller.preferences.set({ interpretationLanguage: "auto", plotTheme: "default" });
    }
  });
});
