import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import type { KernelConnection } from "@jupyterlab/services";
import { GatewayClient } from "../src/kernel/gateway.js";
import { REPO_ROOT } from "./helpers/app.js";
import { type Lab, run, startLab, text } from "./helpers/lab.js";

describe("the embedded Enterprise Gateway", () => {
  let lab: Lab;
  let url: string;
  let token: string;
  beforeAll(async () => {
    lab = await startLab("pglite");
    ({ baseUrl: url, token } = (lab.app.services.gateway as unknown as { settings: { baseUrl: string; token: string } }).settings);
  });
  afterAll(() => lab?.close());

  it("listens on loopback only and refuses requests without its token", async () => {
    expect(new URL(url).hostname).toBe("127.0.0.1");
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetch(`${url}/api/kernelspecs`)).status).toBe(401);
    expect((await fetch(`${url}/api/kernelspecs`, { headers: { Authorization: "token wrong" } })).status).toBe(401);
    expect((await fetch(`${url}/api/kernels`, { method: "POST", body: "{}" })).status).toBe(401);
  });

  it("offers only the sandboxed kernelspec, and does not list kernels", async () => {
    const auth = { headers: { Authorization: `token ${token}` } };
    const specs = (await (await fetch(`${url}/api/kernelspecs`, auth)).json()) as { default: string; kernelspecs: Record<string, unknown> };
    expect(specs.default).toBe("python3-sandbox");
    expect(Object.keys(specs.kernelspecs)).toEqual(["python3-sandbox"]);
    expect((await fetch(`${url}/api/kernels`, auth)).status).toBe(403);
  });

  it("survives a kernel_info cancelled by a kernel restart (the client library leaves that rejection unhandled)", async () => {
    const client = new GatewayClient({ baseUrl: url, token, kernelName: "python3-sandbox", username: "lab", maxMessageBytes: 1 << 20 });
    const id = await client.startKernel(randomUUID());
    const k = await client.connect(id);
    try {
      const conn = (k as unknown as { conn: KernelConnection }).conn;
      const pending = conn.requestKernelInfo();
      (conn as unknown as { _clearKernelState(): void })._clearKernelState(); // what an auto-restart does to pending futures
      await expect(pending).resolves.toBeUndefined();
    } finally {
      k.dispose();
      await client.shutdownKernel(id);
    }
  });

  it("never starts a kernel whose workspace id is not a uuid, and says so fast", async () => {
    // The launcher refuses the id before any mount or uid change; EG retries, then reports the kernel dead.
    const raw = new GatewayClient({ baseUrl: url, token, kernelName: "python3-sandbox", username: "lab", maxMessageBytes: 1 << 20 });
    const res = await fetch(`${url}/api/kernels`, {
      method: "POST",
      headers: { Authorization: `token ${token}` },
      body: JSON.stringify({ name: "python3-sandbox", env: { KERNEL_USERNAME: "lab", KERNEL_WORKSPACE_ID: "../../etc" } }),
    });
    const { id } = (await res.json()) as { id: string };
    const t0 = Date.now();
    await expect(raw.connect(id)).rejects.toThrow(/exited while starting|did not answer/);
    expect(Date.now() - t0).toBeLessThan(55_000);
  });
});

describe("the command line", () => {
  it("runs code on a data file in a fresh sandboxed session, prints the outputs and writes the notebook", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lab-cli-"));
    try {
      await writeFile(path.join(dir, "血压 data.csv"), "性别,收缩压\nM,120\nF,130\n");
      const { stdout } = await promisify(execFile)(
        "npm",
        ["run", "--silent", "lab", "--", "exec", "--data", path.join(dir, "血压 data.csv"), "--code", "import pandas as pd\nprint(pd.read_csv('/data/血压_data.csv')['收缩压'].mean())", "--out", path.join(dir, "out.ipynb")],
        { cwd: REPO_ROOT, env: { ...process.env, LAB_HOME: path.join(dir, "home") }, timeout: 120_000 },
      ).catch((err: { stdout: string; stderr: string }) => {
        throw new Error(`cli failed:\n${err.stderr}`);
      });
      expect(stdout).toBe("125.0\n");
      const nb = JSON.parse(await readFile(path.join(dir, "out.ipynb"), "utf8"));
      expect(nb.metadata.llm_data_lab.datasets).toEqual([{ name: "血压_data.csv", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      expect(nb.cells[0].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "125.0\n" }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A lab with one user's session whose kernel ran `code`, and a way to shut that kernel down at the gateway directly. */
async function sessionWithKernel(env: Record<string, string>, code: string) {
  const lab = await startLab("pglite", env);
  const u = await lab.user();
  const s = (await u.caller.sessions.create({})).id;
  await run(u, s, code);
  const gw = (lab.app.services.gateway as unknown as { settings: { baseUrl: string; token: string } }).settings;
  const { id } = await lab.app.db.selectFrom("kernels").select("id").where("session_id", "=", s).executeTakeFirstOrThrow();
  const killBehindOurBack = () => fetch(`${gw.baseUrl}/api/kernels/${id}`, { method: "DELETE", headers: { Authorization: `token ${gw.token}` } });
  return { lab, u, s, killBehindOurBack };
}

describe("a kernel the gateway gives up on", () => {
  it("is forgotten when idle, and the session's next cell starts a new kernel", async () => {
    const { lab, u, s, killBehindOurBack } = await sessionWithKernel({ LAB_KERNEL_SWEEP_SECONDS: "1" }, "v = 1");
    try {
      await killBehindOurBack(); // what EG's own culler does
      const deadline = Date.now() + 30_000;
      while ((await u.caller.sessions.get({ sessionId: s })).kernelLive && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect((await u.caller.sessions.get({ sessionId: s })).kernelLive).toBe(false);
      const after = await run(u, s, "print('v' in globals())");
      expect({ status: after.status, error: after.error, text: text(after) }).toEqual({ status: "ok", error: null, text: "False\n" });
    } finally {
      await lab.close();
    }
  });
});

describe("a kernel that vanishes while running a cell", () => {
  it("ends the cell at once instead of waiting for the time limit, and the next cell gets a new kernel", async () => {
    const { lab, u, s, killBehindOurBack } = await sessionWithKernel({ LAB_CELL_TIMEOUT_SECONDS: "120" }, "w = 1");
    try {
      const pending = run(u, s, "import time\ntime.sleep(100)");
      await new Promise((r) => setTimeout(r, 1000));
      await killBehindOurBack();
      const cell = await pending;
      // EG interrupts a kernel before shutting it down; if that reply is lost, the watchdog reports a death.
      expect(cell.error).toMatch(/^(KeyboardInterrupt|The kernel died while running this cell)/);
      expect(Date.parse(cell.endedAt!) - Date.parse(cell.startedAt!)).toBeLessThan(60_000);
      expect(text(await run(u, s, "print('again')"))).toBe("again\n");
    } finally {
      await lab.close();
    }
  });
});
