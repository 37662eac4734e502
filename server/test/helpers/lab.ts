import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createAppContext } from "../../src/app.js";
import { loadConfig } from "../../src/config/index.js";
import type { AppContext } from "../../src/context.js";
import type { CellDto } from "../../src/services/dto.js";
import { REPO_ROOT, type TestCaller, callerFor } from "./app.js";
import { type TestDbKind, openTestDb } from "./db.js";

export interface Lab {
  app: AppContext;
  /** Registers a fresh user and returns a caller acting as them. */
  user(): Promise<TestCaller & { token: string }>;
  close(): Promise<void>;
}

/**
 * A whole product on a test database: a real Enterprise Gateway with real sandboxed kernels, in a temp
 * LAB_HOME. `env` sets LAB_* settings exactly as an operator would.
 */
export async function startLab(kind: TestDbKind, env: Record<string, string> = {}): Promise<Lab> {
  const home = await mkdtemp(path.join(os.tmpdir(), "lab-test-"));
  const { config, secrets } = loadConfig({ LAB_HOME: home, LAB_KERNEL_POOL_SIZE: "0", ...env }, REPO_ROOT);
  const testDb = await openTestDb(kind);
  let app: AppContext;
  try {
    app = await createAppContext(config, secrets, { db: testDb, log: () => {} });
  } catch (err) {
    await testDb.close();
    throw err;
  }
  return {
    app,
    async user() {
      const anon = await callerFor(app);
      const email = `u${randomBytes(6).toString("hex")}@example.org`;
      const { token } = await anon.caller.auth.register({ email, password: `pw-${randomBytes(9).toString("base64url")}` });
      return { ...(await callerFor(app, { token })), token };
    },
    async close() {
      await app.close();
      await testDb.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}


/** Runs code as a new cell through the API and waits for it to finish (via the session's state). */
export async function run(c: TestCaller, sessionId: string, code: string, timeoutMs = 60_000): Promise<CellDto> {
  const cell = await c.caller.sessions.run({ sessionId, code });
  return waitForCell(c, sessionId, cell.id, timeoutMs);
}

export async function waitForCell(c: TestCaller, sessionId: string, cellId: string, timeoutMs = 60_000): Promise<CellDto> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await c.caller.sessions.get({ sessionId });
    const cell = s.cells.find((x) => x.id === cellId);
    if (!cell) throw new Error(`cell ${cellId} vanished`);
    if (cell.status !== "queued" && cell.status !== "running") return cell;
    if (Date.now() > deadline) throw new Error(`cell ${cellId} still ${cell.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** All text a cell printed or returned, ANSI stripped: what a person would read. */
export function text(cell: CellDto): string {
  return cell.outputs
    .map((o) => {
      if (o.output_type === "stream") return o.text;
      if (o.output_type === "error") return `${o.ename}: ${o.evalue}\n`;
      const plain = o.data["text/plain"];
      return typeof plain === "string" ? `${plain}\n` : "";
    })
    .join("")
    .replace(/\u001b\[[0-9;]*m/g, "");
}
