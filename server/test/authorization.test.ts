import { randomUUID } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import type { AddressInfo } from "node:net";
import { type AnyTRPCProcedure, type TRPCProcedureType, TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpHandler } from "../src/http/server.js";
import { downloadRoutes } from "../src/http/downloads.js";
import { appRouter } from "../src/routers/_app.js";
import { type TestCaller, callerFor } from "./helpers/app.js";
import { DATABASES } from "./helpers/db.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";

// Procedures that take no id of someone else's resource, each checked on its own below. Everything else in the
// router must take a sessionId or cellId and is called with the other user's ids, so a new procedure is covered
// (or makes this suite fail) without anyone remembering to add it here.
const PUBLIC = ["auth.register", "auth.login", "auth.logout", "auth.me"];
const NOT_RESOURCE_SCOPED = [
  ...PUBLIC, "sessions.create", "sessions.list", "datasets.list",
  // The caller's own settings, templates and usage: scoped by the signed-in user, never by an id.
  "llm.analysis.models", "llm.credentials.list", "llm.credentials.set", "llm.credentials.delete",
  "llm.templates.list", "llm.templates.versions", "llm.templates.save", "llm.templates.delete", "llm.usage.mine",
  // Operators only (adminProcedure): refused to everyone else with FORBIDDEN, tested in admin.test.ts.
  "admin.quotas", "admin.setQuota",
  // The caller's own analysis style.
  "preferences.get", "preferences.set",
];
const RESOURCE_KEYS = ["sessionId", "cellId", "taskId", "templateId", "datasetId"] as const;
/** Fields a procedure may need beside the ids; a procedure that needs anything else is reported as unknown. */
const EXTRA_FIELDS = { code: "1", title: "x", lastEventId: null, query: "x", request: "describe the data", runId: randomUUID(), name: "x" };

type Ids = Record<(typeof RESOURCE_KEYS)[number], string>;
interface Planned {
  path: string;
  type: TRPCProcedureType;
  reads: (typeof RESOURCE_KEYS)[number][];
}
type Validate = (value: unknown) => unknown;
type Issue = { message: string; path?: readonly unknown[] };

const candidate = (ids: Ids) => ({ ...EXTRA_FIELDS, ...ids });

/** The Standard Schema `validate` of an input parser (zod, valibot, arktype…), or null for any other kind. */
function validatorOf(parser: unknown): Validate | null {
  const std: unknown = parser && typeof parser === "object" ? Reflect.get(parser, "~standard") : null;
  const validate: unknown = std && typeof std === "object" ? Reflect.get(std, "validate") : null;
  return typeof validate === "function" ? (value) => validate.call(std, value) : null;
}

async function issuesOf(validators: Validate[], input: unknown): Promise<Issue[]> {
  const results = await Promise.all(validators.map(async (v) => (await v(input)) as { issues?: Issue[] }));
  return results.flatMap((r) => r.issues ?? []);
}

/** Every procedure of a router record, by dotted path (tRPC's own `_def.procedures` is typed as the nested record). */
function proceduresOf(record: object, prefix = ""): [string, AnyTRPCProcedure][] {
  return Object.entries(record).flatMap(([key, value]: [string, unknown]): [string, AnyTRPCProcedure][] => {
    if (isProcedure(value)) return [[prefix + key, value]];
    return value && typeof value === "object" ? proceduresOf(value, `${prefix + key}.`) : [];
  });
}

function isProcedure(value: unknown): value is AnyTRPCProcedure {
  const def: unknown = typeof value === "function" ? Reflect.get(value, "_def") : null;
  return !!def && typeof def === "object" && Reflect.get(def, "procedure") === true;
}

const PROCEDURES = proceduresOf(appRouter._def.record);

/** Sorts the router's procedures into those this suite calls with another user's ids, and those it cannot call. */
async function planCalls(): Promise<{ scoped: Planned[]; unknown: string[] }> {
  const scoped: Planned[] = [];
  const unknown = Object.keys(appRouter._def.lazy).map((p) => `${p}: lazy router, its procedures cannot be listed`);
  const ids: Ids = { sessionId: randomUUID(), cellId: randomUUID(), taskId: randomUUID(), templateId: randomUUID(), datasetId: randomUUID() };
  for (const [path, proc] of PROCEDURES) {
    if (NOT_RESOURCE_SCOPED.includes(path)) continue;
    const validators = proc._def.inputs.map(validatorOf);
    if (validators.some((v) => v === null)) {
      unknown.push(`${path}: an input parser without Standard Schema support`);
      continue;
    }
    const valid = validators.filter((v): v is Validate => v !== null);
    const issues = await issuesOf(valid, candidate(ids));
    if (issues.length) {
      unknown.push(`${path}: needs input this suite does not make (${issues.map((i) => `${i.path?.join(".")}: ${i.message}`).join("; ")})`);
      continue;
    }
    // A procedure reads an id if a malformed one is refused at that key.
    const reads: Planned["reads"] = [];
    for (const key of RESOURCE_KEYS) {
      const refused = await issuesOf(valid, { ...candidate(ids), [key]: "not-a-uuid" });
      if (refused.some((i) => i.path?.[0] === key)) reads.push(key);
    }
    if (reads.length) scoped.push({ path, type: proc._def.type, reads });
    else unknown.push(`${path}: takes none of ${RESOURCE_KEYS.join(", ")} and is not listed in NOT_RESOURCE_SCOPED`);
  }
  return { scoped, unknown };
}

const plan = await planCalls();

/** Calls a procedure by its dotted path; a subscription must produce its first value (or fail) within 5 s. */
async function invoke(c: TestCaller, p: Pick<Planned, "path" | "type">, input: unknown): Promise<unknown> {
  const fn: unknown = p.path.split(".").reduce<unknown>((o, key) => Reflect.get(Object(o), key), c.caller);
  if (typeof fn !== "function") throw new Error(`${p.path} is not callable on the caller`);
  const result: unknown = await fn(input);
  if (p.type !== "subscription") return result;
  if (!result || typeof result !== "object" || !(Symbol.asyncIterator in result)) throw new Error(`${p.path} returned no stream`);
  const it = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${p.path} neither yielded nor failed within 5 s`)), 5_000);
  });
  try {
    return await Promise.race([it.next(), silence]);
  } finally {
    clearTimeout(timer);
    void it.return?.();
  }
}

/** The tRPC error a call ends with; a call that succeeds fails the test. */
async function failure(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  const outcome = await call.then(
    (value) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!("err" in outcome)) throw new Error(`expected an error, the call succeeded with ${JSON.stringify(outcome.value)}`);
  expect(outcome.err).toBeInstanceOf(TRPCError);
  const { code, message } = outcome.err as TRPCError;
  return { code, message };
}

describe("the authorization suite", () => {
  it("knows how to call every procedure of the router with another user's ids", () => {
    expect(plan.unknown, "procedures this suite cannot call: teach it, or list them as not resource-scoped").toEqual([]);
    // The list of exceptions must not outlive the procedures it names.
    expect(NOT_RESOURCE_SCOPED.filter((p) => !PROCEDURES.some(([path]) => path === p))).toEqual([]);
  });
});

describe.each(DATABASES)("every procedure, called as a second user with the first user's ids ($name)", ({ name }) => {
  let lab: Lab;
  let alice: TestCaller & { token: string };
  let bob: TestCaller & { token: string };
  let aliceIds: Ids;
  let before: unknown;

  /** Alice's session as she sees it, and how many events it has: nothing Bob does may change either. */
  const aliceView = async () => ({
    drained: await lab.app.services.events.drain(), // events are stored just after they are sent
    session: await alice.caller.sessions.get({ sessionId: aliceIds.sessionId }),
    events: (await lab.app.db.selectFrom("session_events").select("id").where("session_id", "=", aliceIds.sessionId).execute()).length,
    datasets: await alice.caller.datasets.list(),
    attached: await alice.caller.datasets.attached({ sessionId: aliceIds.sessionId }),
  });

  beforeAll(async () => {
    lab = await startLab(name, { LAB_KERNEL_POOL_SIZE: "0" });
    alice = await lab.user();
    bob = await lab.user();
    const sessionId = (await alice.caller.sessions.create({ title: "Alice's private analysis" })).id;
    const cell = await run(alice, sessionId, "x = 41\nprint('alice secret')");
    expect(text(cell)).toBe("alice secret\n");
    // A task (the offline engine: no data, so it fails plainly, which is enough for an id) and a template of hers.
    const task = await alice.caller.llm.analysis.start({ sessionId, request: "describe the data" });
    await lab.app.services.analysis.wait(task.id);
    const template = await alice.caller.llm.templates.save({ body: "name: alices\nmode: strategy\ntitle: {en: A, zh: A}\nsystem: '{{datasets}}'\nuser: '{{request}}'\n" });
    // A dataset of hers, attached to her session (datasets issue).
    const { dataset } = await lab.app.services.datasets.upload((await alice.caller.auth.me())!.id, { name: "alice.csv", body: Readable.from([Buffer.from("secret,value\nalice,1\n")]) });
    await alice.caller.datasets.attach({ sessionId, datasetId: dataset.id });
    aliceIds = { sessionId, cellId: cell.id, taskId: task.id, templateId: template.id, datasetId: dataset.id };
    before = await aliceView();
  });
  afterAll(() => lab?.close());

  it.for(plan.scoped)("$path answers NOT_FOUND, exactly as for ids that do not exist", async (p) => {
    const got = await failure(invoke(bob, p, candidate(aliceIds)));
    expect(got.message).toMatch(/^(Session|Cell|Task|Template|Dataset) not found$/);
    expect(got).toEqual(await failure(invoke(bob, p, candidate({ sessionId: randomUUID(), cellId: randomUUID(), taskId: randomUUID(), templateId: randomUUID(), datasetId: randomUUID() }))));
    expect(got.code).toBe("NOT_FOUND");
    expect(await aliceView()).toEqual(before);
  });

  it.for(plan.scoped.filter((p) => p.reads.includes("sessionId") && p.reads.includes("templateId")))("$path refuses the first user's template in the second user's own session", async (p) => {
    const own = await bob.caller.sessions.create({ title: "Bob's" });
    expect(await failure(invoke(bob, p, { ...candidate({ ...aliceIds, sessionId: own.id }), cellId: undefined, taskId: undefined }))).toEqual({
      code: "NOT_FOUND",
      message: "Template not found",
    });
    expect((await bob.caller.sessions.get({ sessionId: own.id })).cells).toEqual([]);
    expect(await aliceView()).toEqual(before);
  });

  it.for(plan.scoped.filter((p) => p.reads.includes("sessionId") && p.reads.includes("cellId")))("$path refuses the first user's cell in the second user's own session", async (p) => {
    const own = await bob.caller.sessions.create({ title: "Bob's" });
    expect(await failure(invoke(bob, p, candidate({ sessionId: own.id, cellId: aliceIds.cellId, taskId: randomUUID(), templateId: randomUUID(), datasetId: randomUUID() })))).toEqual({
      code: "NOT_FOUND",
      message: "Cell not found",
    });
    expect((await bob.caller.sessions.get({ sessionId: own.id })).cells).toEqual([]);
    expect(await aliceView()).toEqual(before);
  });

  it.for(plan.scoped.filter((p) => p.reads.includes("sessionId") && p.reads.includes("datasetId")))("$path refuses the first user's dataset in the second user's own session", async (p) => {
    const own = await bob.caller.sessions.create({ title: "Bob's" });
    expect(await failure(invoke(bob, p, { ...candidate({ ...aliceIds, sessionId: own.id }), cellId: undefined, taskId: undefined, templateId: undefined }))).toEqual({
      code: "NOT_FOUND",
      message: "Dataset not found",
    });
    expect(await bob.caller.datasets.attached({ sessionId: own.id })).toEqual([]);
    expect((await bob.caller.datasets.list()).datasets).toEqual([]);
    expect(await aliceView()).toEqual(before);
  });

  it("lists, creates and names only the second user's own things", async () => {
    expect((await bob.caller.auth.me())?.id).not.toBe((await alice.caller.auth.me())?.id);
    const own = await bob.caller.sessions.create({ title: "Alice's private analysis" });
    for (const input of [undefined, { query: "Alice" }, { limit: 200 }]) {
      const ids = (await bob.caller.sessions.list(input)).map((s) => s.id);
      expect(ids).toContain(own.id);
      expect(ids).not.toContain(aliceIds.sessionId);
    }
    expect(await aliceView()).toEqual(before);
  });

  it("answers UNAUTHORIZED to an anonymous caller on every procedure but sign-in and me", async () => {
    const anonymous = await callerFor(lab.app);
    for (const [path, proc] of PROCEDURES) {
      if (PUBLIC.includes(path)) continue;
      const got = await failure(invoke(anonymous, { path, type: proc._def.type }, candidate(aliceIds)));
      expect({ path, ...got }).toEqual({ path, code: "UNAUTHORIZED", message: "Sign in first" });
    }
    expect(await aliceView()).toEqual(before);
  });

  it("serves the notebook download to its owner only", async () => {
    const server = http.createServer(createHttpHandler(lab.app, { router: appRouter, extraRoutes: downloadRoutes }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const download = (id: string, token?: string) =>
        fetch(`http://127.0.0.1:${port}/api/sessions/${id}/notebook.ipynb`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const notFound = { error: { message: "Session not found", code: -32004, data: { code: "NOT_FOUND", httpStatus: 404 } } };

      for (const id of [aliceIds.sessionId, randomUUID()]) {
        const res = await download(id, bob.token);
        expect({ status: res.status, body: await res.json() }).toEqual({ status: 404, body: notFound });
      }
      const anonymous = await download(aliceIds.sessionId);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).not.toContain("alice secret");

      const own = await download(aliceIds.sessionId, alice.token);
      expect(own.status).toBe(200);
      expect(own.headers.get("content-disposition")).toMatch(/^attachment; filename=".+\.ipynb"/);
      expect(own.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await own.text()).toContain("alice secret");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("leaves the first user's session untouched: title, cells, events and a kernel that kept its state", async () => {
    expect(await aliceView()).toEqual(before);
    expect(text(await run(alice, aliceIds.sessionId, "print(x + 1)"))).toBe("42\n");
  });
});
