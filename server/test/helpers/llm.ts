import { chmod, copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import type { TSessionEvent } from "../../src/services/events.js";
import type { TestCaller } from "./app.js";
import type { Lab } from "./lab.js";

/** Places a data file where the session's kernels read it (/data/<name>), as the CLI does. */
export async function attachFile(lab: Lab, sessionId: string, file: string, name = path.basename(file)): Promise<void> {
  const s = await lab.app.db.selectFrom("analysis_sessions").select("workspace_id").where("id", "=", sessionId).executeTakeFirstOrThrow();
  const dir = path.join(lab.app.config.paths.workspaces, s.workspace_id, "data");
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await copyFile(file, path.join(dir, name));
  await chmod(path.join(dir, name), 0o444);
}

/** Everything the session's stream carries after `lastEventId` (live, transient tokens included) until `until` says stop. */
export function collectEvents(c: TestCaller, sessionId: string, lastEventId: string | null, until: (e: TSessionEvent) => boolean, timeoutMs = 240_000) {
  const events: { id: string; event: TSessionEvent }[] = [];
  const ctl = new AbortController();
  const done = (async () => {
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      const stream = await c.caller.sessions.events({ sessionId, lastEventId });
      // Through a caller, each item is tRPC's tracked envelope: [id, data, marker].
      for await (const item of stream as AsyncIterable<unknown>) {
        const [id, event] = item as [string, TSessionEvent];
        events.push({ id, event });
        if (until(event)) break;
      }
    } finally {
      clearTimeout(timer);
    }
    return events;
  })();
  return { events, done, stop: () => ctl.abort() };
}

/** Waits until the task is no longer running (polling its state through the API). */
export async function waitForTask(c: TestCaller, taskId: string, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await c.caller.llm.analysis.get({ taskId });
    if (t.status !== "running") return t;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
