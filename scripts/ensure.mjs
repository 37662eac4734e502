#!/usr/bin/env node
/**
 * Install whatever this checkout is missing, and nothing else. `npm start`, `npm test`, `npm run bench`
 * and `npm run lab` run it first, so a fresh clone needs only Node, Python and (for the sandbox) bubblewrap.
 *
 *   node scripts/ensure.mjs [--quiet]      --quiet: one line per install; tool output only if it fails
 *
 * Steps: npm packages, the two Python venvs (.venvs/gateway: Enterprise Gateway, which pins old Jupyter
 * libraries; .venvs/kernel: what analysis code imports), matplotlib's font cache, and the sandbox's tools.
 * Each step is keyed by a stamp holding a hash of what it was built from, written only after the step
 * succeeded: a second run is a few file reads, and an interrupted install is redone, never trusted.
 *
 * Plain Node with no dependencies, because it runs before `npm install`.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
// The pinned kernel libraries (numpy 2.4, scipy 1.17, ipython 9) no longer support 3.10.
const MIN_PYTHON = [3, 11];
const NO_SANDBOX_HINT = "or run with LAB_SANDBOX=off to run kernels UNSANDBOXED — never on a shared machine";

export class EnsureError extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Throws EnsureError (with the exit code to use) when something cannot be installed. */
export async function ensure({ quiet = false, root = ROOT, env = process.env } = {}) {
  const ctx = { root, env, quiet, log: (msg) => process.stderr.write(`lab: ${msg}\n`), python: null, signal: null };
  // With GATEWAY_URL, kernels run in that gateway (docker compose, Kubernetes): nothing Python to set up here.
  const localKernels = !env.GATEWAY_URL;
  if (localKernels) checkSandbox(ctx);
  const steps = [npmStep(ctx)];
  if (localKernels) steps.push(venvStep(ctx, "gateway"), venvStep(ctx, "kernel"), fontCacheStep(ctx));
  steps.push(webBuildStep(ctx)); // after npm: the build needs its packages
  if (steps.some((step) => !step.done())) {
    // In the temp dir, not the checkout: docker compose mounts the checkout for a user that may not own it.
    const lock = path.join(os.tmpdir(), `lab-ensure-${sha256(root).slice(0, 12)}.lock`);
    await withLock(ctx, lock, async () => {
      for (const step of steps) {
        if (!step.done()) await step.run(); // re-checked: another run may have done it while we waited
      }
    });
  }
  if (localKernels) warnIfNoCjkFont(ctx);
}

function checkSandbox(ctx) {
  const mode = ctx.env.LAB_SANDBOX ?? "on";
  if (mode === "off") {
    const bar = "*".repeat(76);
    for (const line of [
      bar,
      "WARNING: LAB_SANDBOX=off: kernels run UNSANDBOXED, with this user's files,",
      "network and credentials. The code they run is written by an LLM and steered",
      "by uploaded data: treat it as hostile. Never do this on a shared machine or",
      "with data you did not make yourself.",
      bar,
    ]) ctx.log(line);
    return;
  }
  if (mode !== "on") throw new EnsureError(`LAB_SANDBOX must be "on" or "off", not ${JSON.stringify(mode)}`);
  if (process.platform !== "linux") {
    throw new EnsureError(`kernels are sandboxed with bubblewrap, which needs Linux: use docker compose, ${NO_SANDBOX_HINT}`);
  }
  if (!onPath("bwrap")) throw new EnsureError(`bubblewrap is required to sandbox kernels: apt-get install bubblewrap (${NO_SANDBOX_HINT})`);
  if (!onPath("setpriv")) throw new EnsureError(`setpriv is required to drop kernel privileges: apt-get install util-linux (${NO_SANDBOX_HINT})`);
}

function npmStep(ctx) {
  const lockfile = path.join(ctx.root, "package-lock.json");
  const modules = path.join(ctx.root, "node_modules");
  const stamp = path.join(modules, ".lab-install-stamp");
  const key = () => (fs.existsSync(lockfile) ? sha256(fs.readFileSync(lockfile)) : "no-lockfile");
  return {
    done() {
      if (!fs.existsSync(modules)) return false;
      const want = key();
      if (readStamp(stamp) === want) return true;
      // npm's own record of its last install, newer than the lockfile: node_modules already matches it
      // (someone ran `npm install`). Adopt it instead of wiping node_modules under a running dev server.
      const installed = mtimeMs(path.join(modules, ".package-lock.json"));
      if (want !== "no-lockfile" && installed !== null && installed >= mtimeMs(lockfile)) {
        writeStamp(stamp, want);
        return true;
      }
      return false;
    },
    async run() {
      // `npm ci` deletes node_modules first: right for a fresh clone, wrong under a running server or test run
      // (everything it has loaded vanishes). An existing install is brought up to date incrementally.
      const verb = fs.existsSync(lockfile) && !fs.existsSync(modules) ? "ci" : "install";
      const [cmd, pre] = npmCommand(ctx.env);
      const done = announce(ctx, `npm packages (npm ${verb})`);
      await run(ctx, `npm ${verb}`, cmd, [...pre, verb, "--no-audit", "--no-fund"]);
      writeStamp(stamp, key()); // after `npm install` the lockfile exists now
      done();
    },
  };
}

/**
 * Installed as dependencies, then removed: ipykernel requires debugpy but only imports it for the visual
 * debugger, which nothing here uses; without it an idle kernel is 7.7 MB smaller (the Dockerfile does the same).
 */
const UNINSTALL = { kernel: ["debugpy"], gateway: [] };

function venvStep(ctx, name) {
  const dir = path.join(ctx.root, ".venvs", name);
  const requirements = path.join(ctx.root, "kernel-image", `requirements-${name}.txt`);
  const stamp = path.join(dir, ".lab-stamp");
  const key = () => sha256(Buffer.concat([fs.readFileSync(requirements), Buffer.from(`\0uninstall:${UNINSTALL[name].join(",")}`)]));
  return {
    done: () => fs.existsSync(path.join(dir, "bin", "python")) && readStamp(stamp) === key(),
    async run() {
      const python = findPython(ctx);
      const want = key();
      // Build a fresh venv in place (venvs hard-code their own path, so one built elsewhere and renamed would
      // have broken scripts and bytecode) and keep the previous one aside until the new one is complete.
      const previous = `${dir}.previous`;
      fs.rmSync(previous, { recursive: true, force: true });
      const done = announce(ctx, `.venvs/${name} (pip install -r kernel-image/requirements-${name}.txt)`);
      if (fs.existsSync(dir)) fs.renameSync(dir, previous);
      try {
        await run(ctx, `${python} -m venv .venvs/${name}`, python, ["-m", "venv", dir]);
        const pip = ["-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-r", requirements];
        await run(ctx, `pip install into .venvs/${name}`, path.join(dir, "bin", "python"), pip);
        if (UNINSTALL[name].length) {
          const remove = ["-m", "pip", "uninstall", "--yes", "--disable-pip-version-check", ...UNINSTALL[name]];
          await run(ctx, `pip uninstall from .venvs/${name}`, path.join(dir, "bin", "python"), remove);
        }
        writeStamp(stamp, want);
      } catch (err) {
        fs.rmSync(dir, { recursive: true, force: true });
        if (fs.existsSync(previous)) fs.renameSync(previous, dir);
        throw err;
      }
      fs.rmSync(previous, { recursive: true, force: true });
      done();
    },
  };
}

/**
 * The web app's production build (a static export in web/out that the server serves). Keyed by a hash of
 * its sources and the lockfile, so `npm start` / `npm test` rebuild it only after the web app changed.
 */
function webBuildStep(ctx) {
  const web = path.join(ctx.root, "web");
  const out = path.join(web, "out");
  const stamp = path.join(out, ".lab-build-stamp");
  const key = () => {
    const hash = createHash("sha256");
    const inputs = [path.join(ctx.root, "package-lock.json"), path.join(ctx.root, "notebooks", "data", "diabetes.csv")];
    for (const f of ["package.json", "next.config.ts", "postcss.config.mjs", "tsconfig.json"]) inputs.push(path.join(web, f));
    for (const d of ["src", "public", "scripts"]) {
      inputs.push(...listFiles(path.join(web, d), ["monaco", "sample"]).filter((f) => !/\.test\.tsx?$/.test(f)));
    }
    for (const f of inputs.sort()) {
      hash.update(path.relative(ctx.root, f)).update("\0");
      if (fs.existsSync(f)) hash.update(fs.readFileSync(f));
    }
    return hash.digest("hex");
  };
  return {
    done: () => readStamp(stamp) === key(),
    async run() {
      const want = key();
      const [cmd, pre] = npmCommand(ctx.env);
      const done = announce(ctx, "the web app (next build → web/out)");
      const env = { ...ctx.env, NEXT_TELEMETRY_DISABLED: "1" };
      await run(ctx, "building the web app", cmd, [...pre, "run", "build", "-w", "web"], { env });
      writeStamp(stamp, want);
      done();
    },
  };
}

/** Every file under `dir`, skipping folders named in `skip` (generated copies). */
function listFiles(dir, skip = []) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return skip.includes(e.name) ? [] : listFiles(p, skip);
    return e.isFile() ? [p] : [];
  });
}

/**
 * matplotlib scans every font on first import (seconds with the CJK fonts). The sandbox launcher copies this
 * prebuilt cache into each kernel (sandbox.json: mplCacheDir), so kernels start without that scan.
 */
function fontCacheStep(ctx) {
  const dir = path.join(path.resolve(ctx.root, ctx.env.LAB_HOME ?? ".lab"), "mpl-cache");
  const stamp = path.join(dir, ".lab-stamp");
  const rc = path.join(ctx.root, "kernel-image", "matplotlibrc");
  // Built from matplotlib (the kernel venv), the rc file and the installed fonts: adding fonts rebuilds it.
  const key = () =>
    sha256([readStamp(path.join(ctx.root, ".venvs", "kernel", ".lab-stamp")) ?? "", fs.readFileSync(rc, "utf8"), fcList(":", "file")].join("\0"));
  return {
    done: () => readStamp(stamp) === key(),
    async run() {
      const want = key();
      const tmp = `${dir}.tmp`;
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.mkdirSync(tmp, { recursive: true });
      const env = { ...ctx.env, MPLCONFIGDIR: tmp, MATPLOTLIBRC: rc, MPLBACKEND: "Agg" };
      const python = path.join(ctx.root, ".venvs", "kernel", "bin", "python");
      const done = announce(ctx, `matplotlib's font cache (${path.relative(ctx.root, dir)})`);
      await run(ctx, "building the font cache", python, ["-c", "import matplotlib.font_manager"], { env });
      writeStamp(path.join(tmp, ".lab-stamp"), want);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(tmp, dir);
      done();
    },
  };
}

function warnIfNoCjkFont(ctx) {
  if (fcList(":lang=zh", "family").trim()) return;
  ctx.log("warning: no Chinese font found (fc-list :lang=zh): Chinese text in plots will show as boxes; install Debian's fonts-noto-cjk");
}

/** Sorted `fc-list` output, or "" without fontconfig. */
function fcList(pattern, element) {
  const r = spawnSync("fc-list", [pattern, element], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return r.status === 0 ? r.stdout.split("\n").sort().join("\n") : "";
}

const PYTHON_PROBE = `
import sys
try:
    import ensurepip, venv
    has_venv = "venv"
except ImportError:
    has_venv = "no-venv"
print("%d.%d %s" % (sys.version_info[0], sys.version_info[1], has_venv))
`;

function findPython(ctx) {
  if (ctx.python) return ctx.python;
  const candidates = ctx.env.PYTHON ? [ctx.env.PYTHON] : ["python3", "python3.13", "python3.12", "python3.11"];
  const tried = [];
  for (const cmd of candidates) {
    const r = spawnSync(cmd, ["-c", PYTHON_PROBE], { encoding: "utf8", env: ctx.env, stdio: ["ignore", "pipe", "pipe"] });
    const [version = "", venv] = r.status === 0 ? r.stdout.trim().split(" ") : [];
    const [major, minor] = version.split(".").map(Number);
    if (r.error || r.status !== 0) tried.push(`${cmd}: not found`);
    else if (major * 100 + minor < MIN_PYTHON[0] * 100 + MIN_PYTHON[1]) tried.push(`${cmd}: ${version}, too old`);
    else if (venv !== "venv") tried.push(`${cmd}: ${version} without the venv module`);
    else return (ctx.python = cmd);
  }
  throw new EnsureError(
    `Python >= ${MIN_PYTHON.join(".")} with venv is required to run analyses (${tried.join("; ")}).\n` +
      "  Install it (Debian/Ubuntu: apt-get install python3 python3-venv), or set PYTHON=/path/to/python3.",
  );
}

/** Logs the start of an install (the one line --quiet prints); returns what to call when it is done. */
function announce(ctx, what) {
  const started = Date.now();
  ctx.log(`installing ${what}…`);
  return () => {
    if (!ctx.quiet) ctx.log(`installed ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
  };
}

/**
 * Run one install command. Ctrl-C or SIGTERM reaches the tool (so it stops) but not us until the step has
 * cleaned up; then we stop with the signal's exit code.
 */
function run(ctx, what, cmd, args, { env = ctx.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ctx.root, env, stdio: ["ignore", ctx.quiet ? "pipe" : "inherit", ctx.quiet ? "pipe" : "inherit"] });
    let output = "";
    const keep = (chunk) => {
      output = (output + chunk).slice(-64_000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const onSignal = (signal) => {
      ctx.signal = signal;
      child.kill(signal);
    };
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of signals) process.on(s, onSignal);
    child.on("error", (err) => {
      for (const s of signals) process.off(s, onSignal);
      reject(new EnsureError(`${what}: cannot run ${cmd}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      for (const s of signals) process.off(s, onSignal);
      if (code === 0) return resolve();
      if (ctx.quiet) process.stderr.write(output);
      if (ctx.signal) return reject(new EnsureError(`${what}: interrupted`, 128 + os.constants.signals[ctx.signal]));
      reject(new EnsureError(`${what} failed (${signal ? `killed by ${signal}` : `exit code ${code}`})`));
    });
  });
}

/** One install at a time per checkout (two terminals running `npm test` would otherwise both rebuild the venvs). */
async function withLock(ctx, file, fn) {
  // Hard-linking a file that already holds our pid creates the lock with its content in one step.
  const mine = `${file}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  let announced = false;
  try {
    for (;;) {
      try {
        fs.linkSync(mine, file);
        break;
      } catch (err) {
        if (err.code !== "EEXIST") throw err;
      }
      const holder = Number(readStamp(file));
      if (!isAlive(holder)) {
        fs.rmSync(file, { force: true }); // left by a run that was killed
        continue;
      }
      if (!announced) ctx.log(`waiting for another install to finish (pid ${holder})…`);
      announced = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
  // The kernel's sandbox user must be able to read the venvs and the font cache, whatever our umask.
  const umask = process.umask(0o022);
  try {
    return await fn();
  } finally {
    process.umask(umask);
    fs.rmSync(file, { force: true });
  }
}

function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

function onPath(cmd) {
  return (process.env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir || ".", cmd), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function npmCommand(env) {
  // Under `npm test` / `npm start`, use the npm that is running us rather than whichever is first on PATH.
  const cli = env.npm_execpath;
  if (cli && /\.c?js$/.test(cli) && fs.existsSync(cli)) return [process.execPath, [cli]];
  return ["npm", []];
}

function sha256(data) {
  return createHash("sha256").update(data).digest("hex");
}

function readStamp(file) {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function writeStamp(file, value) {
  fs.writeFileSync(`${file}.tmp`, `${value}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--quiet");
  if (unknown.length) {
    process.stderr.write(`usage: node scripts/ensure.mjs [--quiet]\n`);
    process.exit(2);
  }
  try {
    await ensure({ quiet: args.includes("--quiet") });
  } catch (err) {
    process.stderr.write(`lab: ${err instanceof EnsureError ? err.message : err.stack}\n`);
    process.exit(err.exitCode ?? 1);
  }
}
