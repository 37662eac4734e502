import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

interface Proc {
  pid: number;
  ppid: number;
  argv: string[];
  rssKb: number;
  anonKb: number;
}

function readProc(pid: number): Proc | null {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { pid, ppid: field("PPid"), argv, rssKb: field("VmRSS"), anonKb: field("RssAnon") };
  } catch {
    return null; // exited while we looked
  }
}

export interface KernelRss {
  /** The ipykernel process and everything it started: what the kernel's code costs. */
  kernelKb: number;
  /** Its private part (RssAnon): shared libraries count once for all kernels, this does not. */
  kernelAnonKb: number;
  /** The same plus the bwrap processes that hold the sandbox. */
  sandboxKb: number;
  pid: number;
}

/**
 * The sandboxed kernel's memory, read from the host. Its processes are found by the connection file
 * in their argv (<runtime>/kernels/<id>/connection.json): setpriv execs bwrap, which forks an init
 * and then the ipykernel python, so the outer bwrap is the root and the python is the one not named bwrap.
 */
export function kernelRss(kernelId: string): KernelRss {
  const all = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p) => p !== null);
  const connection = `/${kernelId}/connection.json`;
  const mine = all.filter((p) => p.argv.includes("ipykernel_launcher") && p.argv.some((a) => a.endsWith(connection)));
  const python = mine.find((p) => !path.basename(p.argv[0] ?? "").startsWith("bwrap"));
  const root = mine.find((p) => !mine.some((q) => q.pid === p.ppid));
  if (!python || !root) throw new Error(`no ipykernel process found for kernel ${kernelId}`);
  const tree = (pid: number): Proc[] => [...all.filter((p) => p.pid === pid), ...all.filter((p) => p.ppid === pid).flatMap((c) => tree(c.pid))];
  const sum = (procs: Proc[], key: "rssKb" | "anonKb") => procs.reduce((s, p) => s + p[key], 0);
  const kernel = tree(python.pid);
  return { kernelKb: sum(kernel, "rssKb"), kernelAnonKb: sum(kernel, "anonKb"), sandboxKb: sum(tree(root.pid), "rssKb"), pid: python.pid };
}
