import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Config } from "../config/index.js";
import { AppError } from "../errors.js";

/**
 * Workbooks are converted to Parquet (one file per sheet) by kernel-image/python/lab_data/excel.py, run
 * from the kernel venv in a bubblewrap sandbox: no network, no capabilities, a read-only system, only the
 * workbook (read-only) and the output folder visible, plus memory/CPU/file-size rlimits and a wall-clock
 * kill. Parsing hostile XML never happens in the server's process.
 */
const ZResultSchema = z.union([
  z.object({ sheets: z.array(z.object({ name: z.string(), file: z.string().regex(/^sheet-\d+\.parquet$/), rows: z.number(), columns: z.number() })) }),
  z.object({ error: z.string() }),
]);
export type TSheetFile = { name: string; file: string; rows: number; columns: number };

const LIMITS = { memoryMb: 3072, cpuSeconds: 300, wallMs: 360_000, maxCells: 20_000_000, stdoutBytes: 1_000_000 };

export async function convertWorkbook(config: Config, kind: "xlsx" | "xls", workbook: string, outDir: string): Promise<TSheetFile[]> {
  await mkdir(outDir, { recursive: true, mode: 0o755 });
  const py = path.join(config.paths.kernelVenv, "bin", "python");
  const args = ["-m", "lab_data.excel", kind, "/in/workbook", "/out", "--memory-mb", String(LIMITS.memoryMb), "--cpu-seconds", String(LIMITS.cpuSeconds), "--max-cells", String(LIMITS.maxCells)];
  const lib = path.join(config.root, "kernel-image", "python");
  const [cmd, argv, env] = config.sandbox
    ? ["bwrap", [...sandboxArgs(config, lib, workbook, outDir), py, ...args], { PATH: "/usr/bin:/bin" }]
    : [py, args.map((a) => (a === "/in/workbook" ? workbook : a === "/out" ? outDir : a)), { PATH: "/usr/bin:/bin", PYTHONPATH: lib, HOME: outDir }];
  const out = await run(cmd, argv, env);
  let parsed: z.infer<typeof ZResultSchema>;
  try {
    parsed = ZResultSchema.parse(JSON.parse(out.stdout));
  } catch (err) {
    const why = out.killed ? "took too long" : `stopped (${out.signal ?? `exit ${out.code}`})`;
    throw new AppError("BAD_REQUEST", `The workbook could not be converted: the converter ${why}, probably past its memory or time limit`, { cause: new Error(`${err}; stderr: ${out.stderr.slice(-2000)}`) });
  }
  if ("error" in parsed) throw new AppError("BAD_REQUEST", parsed.error);
  return parsed.sheets;
}

function sandboxArgs(config: Config, lib: string, workbook: string, outDir: string): string[] {
  const venv = config.paths.kernelVenv;
  const home = pythonHome(venv);
  return [
    "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
    // Mounts apply in order: /tmp first, so binds below it (a checkout or LAB_HOME under /tmp) stay visible.
    "--tmpfs", "/tmp",
    "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
    "--ro-bind", home, home, "--ro-bind", venv, venv, "--ro-bind", lib, "/opt/lab/python",
    "--ro-bind", workbook, "/in/workbook", "--bind", outDir, "/out",
    "--proc", "/proc", "--dev", "/dev", "--chdir", "/tmp", "--clearenv",
    "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "HOME", "/tmp", "--setenv", "PYTHONPATH", "/opt/lab/python",
    "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "OMP_NUM_THREADS", "1", "--",
  ];
}

/** The base interpreter's prefix the venv was made from (pyvenv.cfg `home` is its bin folder). */
function pythonHome(venv: string): string {
  const cfg = readFileSync(path.join(venv, "pyvenv.cfg"), "utf8");
  const home = /^home\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!home) throw new Error(`${venv}/pyvenv.cfg names no home`);
  return path.dirname(home);
}

interface RunResult { stdout: string; stderr: string; code: number | null; signal: string | null; killed: boolean }

function run(cmd: string, argv: string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill("SIGKILL"); }, LIMITS.wallMs);
    child.stdout.on("data", (d: Buffer) => { if (stdout.length < LIMITS.stdoutBytes) stdout += d.toString("utf8"); });
    child.stderr.on("data", (d: Buffer) => { if (stderr.length < LIMITS.stdoutBytes) stderr += d.toString("utf8"); });
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    child.on("close", (code, signal) => { clearTimeout(timer); resolve({ stdout, stderr, code, signal, killed }); });
  });
}
