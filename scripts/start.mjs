#!/usr/bin/env node
/**
 * `npm start`: install what is missing (ensure.mjs), then run the server in the foreground.
 *
 * The server runs in its own process group, so the terminal's Ctrl-C reaches us and we decide how it stops:
 * the first Ctrl-C (or SIGTERM/SIGHUP) is passed on and the server stops Enterprise Gateway and its kernels
 * itself; a second Ctrl-C, or a server still running GRACE_MS later, kills everything it started. Kernels
 * live in sessions of their own (jupyter_client starts them so), out of the group's reach, so on Linux we
 * also keep a list of the server's descendants and kill whichever of them outlive it.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensure, EnsureError } from "./ensure.mjs";

/**
 * A larger young generation (V8's default semi-space is 16 MB): the server allocates a little per streamed
 * token and output chunk, and fewer scavenges mean fewer millisecond pauses in the middle of a stream
 * (measured: the p99 a token spends in the server fell from 2.2–2.4 ms to 1.2–1.9 ms). The bench runs with the same.
 */
const SERVER_NODE_FLAGS = ["--max-semi-space-size=32"];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const GRACE_MS = 15_000;
// npm passes Ctrl-C on to us and the terminal sends it too: one keypress arrives twice, this close together.
const SAME_KEYPRESS_MS = 1_000;

try {
  await ensure();
} catch (err) {
  process.stderr.write(`lab: ${err instanceof EnsureError ? err.message : err.stack}\n`);
  process.exit(err.exitCode ?? 1);
}

// `node --import tsx` is what `tsx src/index.ts` does, minus the tsx CLI process in between: signals we
// send reach the server itself. stdin is closed: nothing in the server reads it, and a background
// process group reading the terminal would be stopped. SERVER_NODE_FLAGS: see server/package.json's bench.
const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, "--import", "tsx", "src/index.ts"], {
  cwd: path.join(ROOT, "server"),
  stdio: ["ignore", "inherit", "inherit"],
  detached: true,
});

const descendants = new Map(); // pid -> start time, so a recycled pid is never mistaken for ours
const watch = process.platform === "linux" ? setInterval(rememberDescendants, 5_000).unref() : null;
let stopRequestedAt = 0;
let forceTimer = null;

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    const now = Date.now();
    if (!stopRequestedAt) {
      stopRequestedAt = now;
      rememberDescendants();
      process.stderr.write(`\nlab: stopping the server (${signal}); Ctrl-C again to kill it\n`);
      // The server handles SIGINT and SIGTERM; a hang-up means the same as SIGTERM here.
      child.kill(signal === "SIGHUP" ? "SIGTERM" : signal);
      forceTimer = setTimeout(() => killAll(`still running after ${GRACE_MS / 1000} s`), GRACE_MS);
    } else if (now - stopRequestedAt > SAME_KEYPRESS_MS) {
      killAll(signal);
    }
  });
}

child.on("error", (err) => {
  process.stderr.write(`lab: cannot start the server: ${err.message}\n`);
  process.exit(1);
});

child.on("exit", (code, signal) => {
  clearTimeout(forceTimer);
  clearInterval(watch);
  killLeftovers(); // quietly: tsx's esbuild helper is often still exiting at this point
  process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0));
});

// Last resort if this script itself fails: never leave the server running without us.
process.on("exit", () => {
  if (child.exitCode === null && child.signalCode === null) killLeftovers();
});

function killAll(reason) {
  rememberDescendants();
  process.stderr.write(`lab: ${reason}: killing the server and everything it started\n`);
  killLeftovers();
}

/** SIGKILLs the server's process group and whichever of its remembered descendants are still alive. */
function killLeftovers() {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // the group is empty
  }
  for (const [pid, started] of descendants) {
    if (startTime(pid) !== started) continue;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/** Adds every current descendant of the server to `descendants` (Linux: from /proc). */
function rememberDescendants() {
  if (process.platform !== "linux" || !child.pid) return;
  const children = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (!stat) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid).push({ pid: Number(name), started: stat.started });
  }
  const queue = [child.pid];
  while (queue.length) {
    for (const { pid, started } of children.get(queue.pop()) ?? []) {
      descendants.set(pid, started);
      queue.push(pid);
    }
  }
}

function startTime(pid) {
  return readStat(pid)?.started ?? null;
}

/** ppid and start time from /proc/<pid>/stat; the command name may hold spaces, so split after its ")". */
function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), started: fields[19] };
  } catch {
    return null;
  }
}
