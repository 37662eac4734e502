import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import type { Config } from "../config/index.js";

export const KERNEL_NAME = "python3-sandbox";

export interface RunningGateway {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** Writes the kernelspec and the launcher's sandbox.json for this installation (absolute paths, limits). */
export async function writeKernelSpec(config: Config): Promise<{ jupyterPath: string }> {
  const runtime = config.paths.runtime;
  const jupyterPath = path.join(runtime, "jupyter");
  const specDir = path.join(jupyterPath, "kernels", KERNEL_NAME);
  const kernelsDir = path.join(runtime, "kernels");
  await mkdir(specDir, { recursive: true });
  await mkdir(kernelsDir, { recursive: true, mode: 0o700 });
  await mkdir(config.paths.workspaces, { recursive: true, mode: 0o700 });
  const sandboxConfig = path.join(runtime, "sandbox.json");
  await writeFile(
    sandboxConfig,
    JSON.stringify(
      {
        sandbox: config.sandbox,
        kernelPrefix: config.paths.kernelVenv,
        runtimeDir: kernelsDir,
        workspacesDir: config.paths.workspaces,
        uidBase: 200_000,
        uidCount: 1000,
        matplotlibrc: path.join(config.root, "kernel-image", "matplotlibrc"),
        mplCacheDir: path.join(config.home, "mpl-cache"),
        limits: config.limits,
      },
      null,
      2,
    ),
  );
  const template = await readFile(path.join(config.root, "kernel-image/kernelspecs", KERNEL_NAME, "kernel.json.in"), "utf8");
  const spec = template
    .replaceAll("@GATEWAY_PYTHON@", path.join(config.paths.gatewayVenv, "bin", "python"))
    .replaceAll("@LAB_ROOT@", config.root)
    .replaceAll("@SANDBOX_CONFIG@", sandboxConfig)
    .replaceAll("@RUNTIME_DIR@", kernelsDir);
  await writeFile(path.join(specDir, "kernel.json"), spec);
  return { jupyterPath };
}

/** The gateway's per-message cap; the websocket client allows a little more, as a second fence. */
export const maxMessageBytes = (config: Pick<Config, "cell">) => 2 * config.cell.outputMaxBytes + 1024 * 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts Enterprise Gateway on loopback for this server alone, with a fresh token. The token goes in EG's
 * environment (EG_AUTH_TOKEN), not its argv, which every local user can read in `ps`. EG gets a minimal
 * environment: nothing of the server's (DATABASE_URL, API keys) reaches it or its kernels.
 */
export async function startEmbeddedGateway(config: Config, log: (line: string) => void = () => {}): Promise<RunningGateway> {
  const python = path.join(config.paths.gatewayVenv, "bin", "python");
  if (!existsSync(python)) throw new Error(`The gateway virtualenv is missing (${python}): run \`npm start\` once to install it`);
  const { jupyterPath } = await writeKernelSpec(config);
  const port = config.gateway.kind === "embedded" && config.gateway.port ? config.gateway.port : await freePort();
  const token = randomBytes(32).toString("hex");
  const runtime = config.paths.runtime;
  const idleSeconds = Math.ceil(config.kernels.idleMs / 1000);
  const args = [
    path.join(config.root, "kernel-image/gateway/lab_gateway.py"),
    "--ip=127.0.0.1",
    `--port=${port}`,
    "--port_retries=0",
    `--KernelSpecManager.whitelist=["${KERNEL_NAME}"]`,
    "--KernelSpecManager.ensure_native_kernel=False",
    `--EnterpriseGatewayApp.default_kernel_name=${KERNEL_NAME}`,
    // The server culls idle kernels itself; EG's culler is the backstop if the server dies.
    `--MappingKernelManager.cull_idle_timeout=${idleSeconds * 2}`,
    "--MappingKernelManager.cull_interval=60",
    "--EnterpriseGatewayApp.list_kernels=False",
  ];
  await mkdir(path.join(config.home, "logs"), { recursive: true });
  const logFile = createWriteStream(path.join(config.home, "logs", "gateway.log"), { flags: "a" });
  const child: ChildProcess = spawn(python, args, {
    cwd: runtime,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: runtime,
      LANG: "C.UTF-8",
      EG_AUTH_TOKEN: token,
      JUPYTER_PATH: jupyterPath,
      JUPYTER_RUNTIME_DIR: path.join(runtime, "jupyter-runtime"),
      JUPYTER_CONFIG_DIR: path.join(runtime, "jupyter-config"),
      JUPYTER_DATA_DIR: path.join(runtime, "jupyter-data"),
      PYTHONUNBUFFERED: "1",
      // No single kernel message may exceed what a cell may keep (plus room for JSON escaping).
      LAB_MAX_MESSAGE_BYTES: String(maxMessageBytes(config)),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const tail: string[] = [];
  const onData = (b: Buffer) => {
    logFile.write(b);
    for (const line of b.toString().split("\n").filter(Boolean)) {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (/lab-sandbox|ERROR|Traceback/.test(line)) log(`[gateway] ${line}`);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ok = await fetch(`${url}/api/kernelspecs`, { headers: { Authorization: `token ${token}` } })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Enterprise Gateway did not start:\n${tail.join("\n")}`);
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 150))]);
  }

  return {
    url,
    token,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM"); // EG shuts its kernels down on SIGTERM; bwrap --die-with-parent is the backstop.
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
      logFile.end();
    },
  };
}
