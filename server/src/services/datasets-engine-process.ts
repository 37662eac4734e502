import { type ChildProcess, fork } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { AppError, type AppErrorCode } from "../errors.js";
import type { DatasetEngine, EngineOptions, QueryResult } from "./datasets-engine.js";

export type TEngineRequest = { id: number; sql: string };
export type TEngineReply = { id: number; result: QueryResult } | { id: number; error: { code: AppErrorCode; message: string } };

const WORKER = path.join(import.meta.dirname, "datasets-engine-worker.ts");

/**
 * DuckDB in a child process of its own. Uploaded files are hostile input to a large C++ parser: here a
 * crash or a memory-corruption bug costs one query and a restart, not the server, and the process that
 * parses them holds no secrets (its environment is empty: no DATABASE_URL, no credentials key). Its
 * memory (buffers, per-thread arenas, which DuckDB's own limit does not cover) is its own and goes when it
 * restarts, so profiling a 1 GB file leaves the server's footprint alone. Started on first use.
 */
export class EngineProcess implements DatasetEngine {
  private child: ChildProcess | null = null;
  private pending = new Map<number, { resolve: (r: QueryResult) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: EngineOptions) {}

  static async create(options: EngineOptions): Promise<EngineProcess> {
    await mkdir(options.tempDir, { recursive: true, mode: 0o700 });
    return new EngineProcess(options);
  }

  query(sql: string): Promise<QueryResult> {
    if (this.closed) return Promise.reject(new AppError("UNAVAILABLE", "The dataset engine is shut down"));
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      child.send({ id, sql } satisfies TEngineRequest);
    });
  }

  private spawn(): ChildProcess {
    const child = fork(WORKER, [JSON.stringify(this.options)], {
      execArgv: ["--import", import.meta.resolve("tsx")],
      // Nothing of the server's environment: only what Node needs to run.
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: this.options.tempDir, LANG: "C.UTF-8" },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (reply: TEngineReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!waiter) return;
      if ("result" in reply) waiter.resolve(reply.result);
      else waiter.reject(new AppError(reply.error.code, reply.error.message));
    });
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null; // the next query starts a new one
      const how = signal ? `was killed (${signal})` : `exited (code ${code})`;
      for (const w of this.pending.values()) {
        w.reject(new AppError("UNAVAILABLE", `The dataset engine ${how} while reading this file (it restarts on the next request); the file may be too large for its memory or malformed`));
      }
      this.pending.clear();
    });
    child.on("error", (err) => console.error("[datasets] engine process:", err));
    this.child = child;
    return child;
  }

  /** The engine process's pid, while it runs (operators' metrics; the bench reads its memory). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      const child = this.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      if (child.connected) child.disconnect(); // it closes DuckDB and exits
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(kill);
    })();
    return this.closing;
  }
}
