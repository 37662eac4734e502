import path from "node:path";
import { z } from "zod";
import { type LlmConfig, type LlmSecrets, loadLlmConfig } from "./llm.js";

/**
 * The only reader of process.env. Everything else receives a Config (or a piece of it).
 * Secrets live in `secrets`, apart from settings, so config can be logged without them.
 */
const int = (dflt: number) => z.coerce.number().int().positive().default(dflt);
const bool = (dflt: boolean) =>
  z.enum(["1", "0", "true", "false", "on", "off", "yes", "no"]).default(dflt ? "on" : "off")
    .transform((v) => ["1", "true", "on", "yes"].includes(v));

export const ZEnvSchema = z.object({
  LAB_HOME: z.string().optional(),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_ORIGIN: z.string().url().optional(),
  DATABASE_URL: z.string().optional(),
  GATEWAY_URL: z.string().url().optional(),
  GATEWAY_TOKEN: z.string().optional(),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  LAB_SANDBOX: z.enum(["on", "off"]).default("on"),
  LAB_KERNEL_MEMORY_MB: int(2048),
  LAB_KERNEL_MAX_PROCS: int(256),
  LAB_KERNEL_FILE_SIZE_MB: int(1024),
  LAB_KERNEL_CPU_SECONDS: int(3600),
  LAB_KERNEL_TMP_MB: int(512),
  LAB_KERNEL_THREADS: int(2),
  LAB_CELL_TIMEOUT_SECONDS: int(300),
  LAB_CELL_OUTPUT_MAX_BYTES: int(2_000_000),
  LAB_KERNEL_IDLE_SECONDS: int(1800),
  LAB_KERNEL_SWEEP_SECONDS: int(15),
  LAB_KERNELS_PER_USER: int(4),
  LAB_KERNEL_POOL_SIZE: z.coerce.number().int().min(0).default(1),
  LAB_REPLAY_ON_REVIVE: bool(false),
  LAB_SESSION_TTL_DAYS: int(30),
  LAB_SECURE_COOKIES: bool(false),
  /** Comma-separated emails of the accounts that may administer (quotas). */
  LAB_ADMIN_EMAILS: z.string().default(""),
  LAB_UPLOAD_MAX_MB: int(2048),
  LAB_DATASET_QUOTA_MB: int(10240),
  LAB_XLSX_MAX_UNCOMPRESSED_MB: int(1024),
  LAB_DATASET_ENGINE_MEMORY_MB: int(128),
});
export type TEnv = z.infer<typeof ZEnvSchema>;

export interface KernelLimits {
  memoryMb: number;
  maxProcs: number;
  fileSizeMb: number;
  cpuSeconds: number;
  tmpMb: number;
  threads: number;
}

export interface Config {
  /** Repository root: kernel-image/, the venvs. */
  root: string;
  /** Where the product keeps its state: PGlite data, workspaces, EG runtime. */
  home: string;
  host: string;
  port: number;
  /** Origins allowed to send mutations (the browser's Origin header). */
  allowedOrigins: string[];
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dataDir: string };
  gateway: { kind: "external"; url: string } | { kind: "embedded"; port: number };
  sandbox: boolean;
  limits: KernelLimits;
  cell: { timeoutMs: number; outputMaxBytes: number };
  /** sweepMs: how often live kernels are checked against the gateway (it can lose one without telling us). */
  kernels: { idleMs: number; sweepMs: number; perUser: number; poolSize: number; replayOnRevive: boolean };
  auth: { sessionTtlMs: number; secureCookies: boolean; adminEmails: string[] };
  paths: { workspaces: string; runtime: string; gatewayVenv: string; kernelVenv: string };
  llm: LlmConfig;
  datasets: { dir: string; uploadMaxBytes: number; quotaBytes: number; xlsxMaxUncompressedBytes: number; engineMemoryMb: number };
}

export interface Secrets {
  /** EG's auth token: given by GATEWAY_TOKEN, or generated when we start EG ourselves. */
  gatewayToken: string | undefined;
  llm: LlmSecrets;
}

const MB = 1024 * 1024;

export function loadConfig(env: NodeJS.ProcessEnv, root: string): { config: Config; secrets: Secrets } {
  const parsed = ZEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  const llm = loadLlmConfig(env, path.join(root, "prompts"));
  const home = path.resolve(root, e.LAB_HOME ?? ".lab");
  const port = e.PORT;
  const origin = e.PUBLIC_ORIGIN ?? `http://${e.HOST === "0.0.0.0" ? "localhost" : e.HOST}:${port}`;
  const config: Config = {
    root,
    home,
    host: e.HOST,
    port,
    allowedOrigins: [...new Set([origin, `http://localhost:${port}`, `http://127.0.0.1:${port}`])],
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dataDir: path.join(home, "pglite") },
    gateway: e.GATEWAY_URL ? { kind: "external", url: e.GATEWAY_URL } : { kind: "embedded", port: e.GATEWAY_PORT },
    sandbox: e.LAB_SANDBOX === "on",
    limits: {
      memoryMb: e.LAB_KERNEL_MEMORY_MB,
      maxProcs: e.LAB_KERNEL_MAX_PROCS,
      fileSizeMb: e.LAB_KERNEL_FILE_SIZE_MB,
      cpuSeconds: e.LAB_KERNEL_CPU_SECONDS,
      tmpMb: e.LAB_KERNEL_TMP_MB,
      threads: e.LAB_KERNEL_THREADS,
    },
    cell: { timeoutMs: e.LAB_CELL_TIMEOUT_SECONDS * 1000, outputMaxBytes: e.LAB_CELL_OUTPUT_MAX_BYTES },
    kernels: {
      idleMs: e.LAB_KERNEL_IDLE_SECONDS * 1000,
      sweepMs: e.LAB_KERNEL_SWEEP_SECONDS * 1000,
      perUser: e.LAB_KERNELS_PER_USER,
      poolSize: e.LAB_KERNEL_POOL_SIZE,
      replayOnRevive: e.LAB_REPLAY_ON_REVIVE,
    },
    auth: {
      sessionTtlMs: e.LAB_SESSION_TTL_DAYS * 86_400_000,
      secureCookies: e.LAB_SECURE_COOKIES,
      adminEmails: e.LAB_ADMIN_EMAILS.split(",").map((x) => x.trim().toLowerCase()).filter(Boolean),
    },
    paths: {
      workspaces: path.join(home, "workspaces"),
      runtime: path.join(home, "runtime"),
      gatewayVenv: path.join(root, ".venvs", "gateway"),
      kernelVenv: path.join(root, ".venvs", "kernel"),
    },
    llm: llm.config,
    datasets: {
      dir: path.join(home, "datasets"),
      uploadMaxBytes: e.LAB_UPLOAD_MAX_MB * MB,
      quotaBytes: e.LAB_DATASET_QUOTA_MB * MB,
      xlsxMaxUncompressedBytes: e.LAB_XLSX_MAX_UNCOMPRESSED_MB * MB,
      engineMemoryMb: e.LAB_DATASET_ENGINE_MEMORY_MB,
    },
  };
  return { config, secrets: { gatewayToken: e.GATEWAY_TOKEN, llm: llm.secrets } };
}
