import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { LlmConfig, LlmSecrets } from "../config/llm.js";
import type { Database, LlmTaskStatus, SessionRow } from "../db/schema.js";
import { AppError, notFound } from "../errors.js";
import { LlmError } from "../llm/errors.js";
import { createBranch, removeBranchFiles } from "./analysis-branch.js";
import { PREPARE_KERNEL, buildContext, probeKernel } from "./analysis-context.js";
import { getPreferences, plotThemeCode } from "./preferences.js";
import { RunFailed, type RunSpec, runModel } from "./analysis-run.js";
import type { EventBus } from "./events.js";
import type { Executor } from "./execution.js";
import type { KernelManager } from "./kernels.js";
import { type ResolvedModel, defaultModel, resolveModel } from "./models.js";
import type { PromptRegistry } from "./prompts.js";
import type { TaskErrorInfo } from "./task-events.js";
import { resolveTemplate } from "./templates.js";
import { checkAllowance } from "./usage.js";

export interface AnalysisDeps {
  db: Kysely<Database>;
  config: LlmConfig;
  secrets: LlmSecrets;
  workspaces: string;
  prompts: PromptRegistry;
  events: EventBus;
  executor: Executor;
  kernels: KernelManager;
}

export interface StartInput {
  request: string;
  models?: string[];
  mode?: "analysis" | "strategy";
  template?: string;
  templateId?: string;
  retries?: number;
}

export const detectLanguage = (s: string): "zh" | "en" => (/[\u3400-\u9fff]/.test(s) ? "zh" : "en");

/**
 * Analysis tasks: a request, one or more models, each model's run (runs in parallel; with several models each
 * gets its own branch kernel). Runs continue in the background after `start` returns; follow the session's
 * event stream, or `get` the task.
 */
export class AnalysisService {
  private running = new Map<string, { abort: AbortController; sessions: SessionRow[]; done: Promise<void> }>();

  constructor(private readonly deps: AnalysisDeps) {}

  /** Tasks left running by a server that stopped will never finish: say so. */
  async init(): Promise<void> {
    const { db } = this.deps;
    const error = "The server stopped while this task was running";
    await db.updateTable("llm_runs").set({ status: "error", error, ended_at: new Date() }).where("status", "=", "running").execute();
    await db.updateTable("llm_tasks").set({ status: "error", error, ended_at: new Date() }).where("status", "=", "running").execute();
  }

  async start(session: SessionRow, input: StartInput) {
    const { db, config } = this.deps;
    if (session.parent_session_id) throw new AppError("BAD_REQUEST", "This is a model's branch of another session: ask in the session itself");
    const { template, ref } = await resolveTemplate(db, this.deps.prompts, session.user_id, { name: input.template ?? (input.mode === "strategy" ? "analysis-strategy" : undefined), templateId: input.templateId });
    const specs = [...new Set(input.models?.length ? input.models : [await defaultModel(this.modelDeps, session.user_id)])];
    // Every model is resolved (keys, URLs) and every allowance checked before any provider is called.
    const models: ResolvedModel[] = [];
    for (const spec of specs) models.push(await resolveModel(this.modelDeps, session.user_id, spec));
    await checkAllowance(db, config, session.user_id, models.map((m) => m.spec));

    const taskId = randomUUID();
    await db.insertInto("llm_tasks").values({ id: taskId, session_id: session.id, user_id: session.user_id, request: input.request, mode: template.mode, template: ref.name, template_version: ref.version, status: "running" }).execute();
    // Strategy runs execute nothing, and a single model runs in the session itself: no branch needed.
    const branched = models.length > 1 && template.mode === "analysis";
    const runs = [];
    for (const model of models) {
      const runsIn = branched ? await createBranch(db, this.deps.workspaces, session, model.spec) : session;
      const runId = randomUUID();
      await db.insertInto("llm_runs").values({ id: runId, task_id: taskId, model: model.spec, runs_in: runsIn.id, status: "running" }).execute();
      runs.push({ runId, model, runsIn });
    }
    await this.deps.events.publish(session.id, [
      { type: "task.created", taskId, request: input.request, mode: template.mode, template: `${ref.name}@${ref.version}`, models: runs.map((r) => ({ runId: r.runId, model: r.model.spec, runsIn: r.runsIn.id })) },
    ]);

    const abort = new AbortController();
    const context = await buildContext(db, this.deps.kernels, this.deps.workspaces, session, config.contextTokens);
    const { interpretationLanguage } = await getPreferences(db, session.user_id);
    const language = interpretationLanguage === "auto" ? detectLanguage(input.request) : interpretationLanguage;
    const done = Promise.all(
      runs.map((r) =>
        this.runOne({
          taskId, runId: r.runId, userId: session.user_id, session, runsIn: r.runsIn, replay: branched, request: input.request, language,
          template, templateRef: ref, model: r.model, context, retries: input.retries ?? config.repairRetries, signal: abort.signal,
        }),
      ),
    ).then((statuses) => this.finishTask(session, taskId, statuses));
    this.running.set(taskId, { abort, sessions: runs.map((r) => r.runsIn), done });
    void done.finally(() => this.running.delete(taskId));
    return this.get(taskId);
  }

  /** Waits for a task to end (CLI, tests); resolves at once for a task that is not running here. */
  async wait(taskId: string): Promise<void> {
    await this.running.get(taskId)?.done;
  }

  private async runOne(spec: RunSpec): Promise<LlmTaskStatus> {
    const { db, events, kernels } = this.deps;
    let status: LlmTaskStatus = "ok";
    let error: TaskErrorInfo | null = null;
    try {
      if (spec.template.mode === "analysis") {
        await kernels.acquire(spec.runsIn); // starts the branch's kernel (counted against the cap) so it can be prepared
        const { plotTheme } = await getPreferences(db, spec.userId);
        await probeKernel(kernels, spec.runsIn, `${PREPARE_KERNEL}\n${plotThemeCode(plotTheme)}`);
      }
      await runModel({ db, config: this.deps.config, events, executor: this.deps.executor }, spec);
    } catch (err) {
      error = toErrorInfo(err);
      status = error.kind === "cancelled" ? "cancelled" : "error";
      if (!(err instanceof RunFailed || err instanceof LlmError || err instanceof AppError)) console.error("[analysis] run failed:", err);
    } finally {
      if (spec.runsIn.id !== spec.session.id) {
        await kernels.shutdown(spec.runsIn.id, "the model's run ended").catch(() => {});
        await removeBranchFiles(this.deps.workspaces, spec.runsIn).catch(() => {});
      }
    }
    await db.updateTable("llm_runs").set({ status, error: error?.message ?? null, error_kind: error?.kind ?? null, ended_at: new Date() }).where("id", "=", spec.runId).execute().catch(() => {});
    await events.publish(spec.session.id, [{ type: "task.run.done", taskId: spec.taskId, runId: spec.runId, status, error }]).catch(() => {});
    return status;
  }

  private async finishTask(session: SessionRow, taskId: string, statuses: LlmTaskStatus[]) {
    const status: "ok" | "error" | "cancelled" = statuses.includes("ok") ? "ok" : statuses.includes("cancelled") ? "cancelled" : "error";
    const error = status === "error" ? "Every model's run failed (see each run)" : null;
    await this.deps.db.updateTable("llm_tasks").set({ status, error, ended_at: new Date() }).where("id", "=", taskId).execute().catch(() => {});
    await this.deps.events.publish(session.id, [{ type: "task.done", taskId, status }]).catch(() => {});
  }

  /** Aborts the provider streams and interrupts the cells of the task's runs. */
  async cancel(taskId: string): Promise<void> {
    const r = this.running.get(taskId);
    if (!r) return;
    r.abort.abort(new LlmError("cancelled", null, false, "Cancelled"));
    await Promise.all(r.sessions.map((s) => this.deps.executor.interrupt(s).catch(() => {})));
    await r.done;
  }

  /** A run's final code, run as a new model cell in the session itself (e.g. the winner of a comparison). */
  async adopt(session: SessionRow, taskId: string, runId: string) {
    const run = await this.deps.db.selectFrom("llm_runs").select(["code", "status"]).where("id", "=", runId).where("task_id", "=", taskId).executeTakeFirst();
    if (!run) throw notFound("Run");
    if (!run.code) throw new AppError("CONFLICT", "This run produced no code");
    const { cell } = await this.deps.executor.submit(session, { code: run.code, source: "model" });
    return cell;
  }

  async get(taskId: string) {
    const { db } = this.deps;
    const task = await db.selectFrom("llm_tasks").selectAll().where("id", "=", taskId).executeTakeFirst();
    if (!task) throw notFound("Task");
    const runs = await db.selectFrom("llm_runs").selectAll().where("task_id", "=", taskId).orderBy("created_at").orderBy("model").execute();
    const steps = runs.length
      ? await db.selectFrom("llm_steps").selectAll().where("run_id", "in", runs.map((r) => r.id)).orderBy("id").execute()
      : [];
    const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());
    return {
      id: task.id, sessionId: task.session_id, request: task.request, mode: task.mode, template: task.template, templateVersion: task.template_version,
      status: task.status, error: task.error, createdAt: iso(task.created_at)!, endedAt: iso(task.ended_at),
      runs: runs.map((r) => ({
        id: r.id, model: r.model, runsIn: r.runs_in, status: r.status, code: r.code, cellId: r.cell_id, interpretation: r.interpretation,
        error: r.error ? { kind: r.error_kind, message: r.error } : null, endedAt: iso(r.ended_at),
        steps: steps.filter((s) => s.run_id === r.id).map((s) => ({
          kind: s.kind, attempt: s.attempt, model: s.model, template: s.template, templateVersion: s.template_version, prompt: s.prompt as unknown,
          answer: s.answer, code: s.code, cellId: s.cell_id, cellStatus: s.cell_status, tokensIn: s.tokens_in, tokensOut: s.tokens_out,
          latencyMs: s.latency_ms, estimatedCostUsd: s.cost_usd, error: s.error, createdAt: iso(s.created_at)!,
        })),
      })),
    };
  }

  async list(sessionId: string) {
    const rows = await this.deps.db.selectFrom("llm_tasks").select(["id", "request", "mode", "status", "created_at"]).where("session_id", "=", sessionId).orderBy("created_at", "desc").limit(100).execute();
    return rows.map((r) => ({ id: r.id, request: r.request, mode: r.mode, status: r.status, createdAt: new Date(r.created_at).toISOString() }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.cancel(id).catch(() => {})));
  }

  private get modelDeps() {
    return { db: this.deps.db, config: this.deps.config, secrets: this.deps.secrets, recipes: this.deps.prompts.recipes };
  }
}

function toErrorInfo(err: unknown): TaskErrorInfo {
  if (err instanceof RunFailed) return err.info;
  if (err instanceof LlmError) return { kind: err.kind, status: err.status, retryable: err.retryable, message: err.message };
  if (err instanceof AppError && err.code !== "INTERNAL") return { kind: "kernel", status: null, retryable: false, message: err.message };
  return { kind: "internal", status: null, retryable: false, message: "Internal error (logged on the server)" };
}
