import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus, type StoredEvent, type TSessionEvent } from "../src/services/events.js";
import { DATABASES, type TestDb, openTestDb } from "./helpers/db.js";

const status = (n: number): TSessionEvent => ({ type: "kernel.status", status: "idle", message: `e${n}` });
const label = (e: StoredEvent) => (e.event.type === "kernel.status" ? e.event.message : e.event.type);

/** Reads `n` events from a subscription, then stops it. */
async function take(bus: EventBus, sessionId: string, lastEventId: string | null, n: number): Promise<StoredEvent[]> {
  const ctl = new AbortController();
  const out: StoredEvent[] = [];
  for await (const e of bus.subscribe(sessionId, lastEventId, ctl.signal)) {
    out.push(e);
    if (out.length === n) ctl.abort();
  }
  return out;
}

describe.each(DATABASES)("the session event stream ($name)", ({ name }) => {
  let t: TestDb;
  let sessionId: string;
  beforeAll(async () => {
    t = await openTestDb(name);
    const userId = randomUUID();
    sessionId = randomUUID();
    await t.db.insertInto("users").values({ id: userId, email: `${userId}@example.com`, password_hash: "x" }).execute();
    await t.db.insertInto("analysis_sessions").values({ id: sessionId, user_id: userId, title: "t", workspace_id: randomUUID() }).execute();
  });
  afterAll(() => t?.close());

  it("sends each event before storing it, and a subscriber joining in between misses none and sees none twice", async () => {
    const bus = new EventBus(t.db);
    const early = take(bus, sessionId, null, 6);
    await bus.publish(sessionId, [status(0)]);
    const first = bus.publish(sessionId, [status(1), status(2)]);
    // Sent, not stored yet: the table cannot have them, a late subscriber must still get them.
    const late = take(bus, sessionId, null, 6);
    const second = bus.publish(sessionId, [status(3)]);
    bus.publishTransient(sessionId, { type: "kernel.status", status: "busy", message: "live only" });
    await Promise.all([first, second, bus.publish(sessionId, [status(4)])]);
    for (const got of [await early, await late]) {
      expect(got.map(label)).toEqual(["e0", "e1", "e2", "e3", "live only", "e4"]);
      const ids = got.filter((e) => !e.transient).map((e) => BigInt(e.id));
      expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
      expect(new Set(ids).size).toBe(ids.length);
    }
    await bus.drain();
    const stored = await t.db.selectFrom("session_events").select(["id", "payload"]).where("session_id", "=", sessionId).orderBy("id").execute();
    expect(stored.map((r) => ({ id: String(r.id), message: (r.payload as { message: string }).message }))).toEqual(
      (await early).filter((e) => !e.transient).map((e) => ({ id: e.id, message: label(e) })),
    );
  });

  it("resumes after the last id a client saw, whether or not it was stored yet", async () => {
    const bus = new EventBus(t.db);
    const seen = await take(bus, sessionId, null, 1);
    const before = (await t.db.selectFrom("session_events").select("id").where("session_id", "=", sessionId).execute()).length;
    void bus.publish(sessionId, [status(10)]);
    const mark = await take(bus, sessionId, seen[0]!.id, before);
    void bus.publish(sessionId, [status(11), status(12)]);
    expect((await take(bus, sessionId, mark.at(-1)!.id, 2)).map(label)).toEqual(["e11", "e12"]);
    await bus.drain();
  });

  it("keeps order through id blocks running out, with several sessions publishing at once", async () => {
    const bus = new EventBus(t.db);
    const other = randomUUID();
    const owner = await t.db.selectFrom("analysis_sessions").select("user_id").where("id", "=", sessionId).executeTakeFirstOrThrow();
    await t.db.insertInto("analysis_sessions").values({ id: other, user_id: owner.user_id, title: "u", workspace_id: randomUUID() }).execute();
    const from = (await t.db.selectFrom("session_events").select((eb) => eb.fn.max("id").as("id")).executeTakeFirstOrThrow()).id;
    const got = take(bus, other, null, 700);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 700; i++) {
      writes.push(bus.publish(other, [status(i)]));
      if (i % 3 === 0) writes.push(bus.publish(sessionId, [status(1000 + i), status(2000 + i)]));
    }
    await Promise.all(writes);
    expect((await got).map(label)).toEqual(Array.from({ length: 700 }, (_, i) => `e${i}`));
    const stored = await t.db.selectFrom("session_events").select("payload").where("session_id", "=", other).where("id", ">", String(from ?? 0)).orderBy("id").execute();
    expect(stored.map((r) => (r.payload as { message: string }).message)).toEqual(Array.from({ length: 700 }, (_, i) => `e${i}`));
  });

  it("drops the events of a session deleted after they went out, without holding up anyone else's", async () => {
    const bus = new EventBus(t.db);
    const gone = randomUUID(); // as if deleted: the foreign key refuses its rows
    const results = await Promise.allSettled([bus.publish(gone, [status(1)]), bus.publish(sessionId, [status(2)]), bus.publish(sessionId, [status(3)])]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
    const stored = await t.db.selectFrom("session_events").select("payload").where("session_id", "in", [gone, sessionId]).orderBy("id", "desc").limit(2).execute();
    expect(stored.map((r) => (r.payload as { message: string }).message)).toEqual(["e3", "e2"]);
  });

  it("tells the publisher when its events could not be stored", async () => {
    const broken = await openTestDb(name);
    await broken.close(); // the database went away
    await expect(new EventBus(broken.db).publish(sessionId, [status(1)])).rejects.toThrow();
  });
});
