import type { Kysely } from "kysely";
import type { LlmConfig } from "../config/llm.js";
import type { Database, SessionRow } from "../db/schema.js";
import { AppError } from "../errors.js";
import { streamAnswer } from "../llm/call.js";
import { LlmError } from "../llm/errors.js";
import { estimateCost } from "../llm/prices.js";
import type { ChatMessage, OfflineHints } from "../llm/types.js";
import { extractCode, summariseOutputs } from "./analysis-code.js";
import type { PromptContext } from "./analysis-context.js";
import type { EventBus } from "./events.js";
import type { Executor } from "./execution.js";
import type { ResolvedModel } from "./models.js";
import { render, type TTemplate } from "./prompts.js";
import type { StepKind, TaskErrorInfo } from "./task-events.js";
import { recordUsage } from "./usage.js";
import { jsonb, withoutNul } from "../db/json.js";

export interface RunDeps {
  db: Kysely<Database>;
  config: LlmConfig;
  events: EventBus;
  executor: Executor;
}

export interface RunSpec {
  taskId: string;
  runId: string;
  userId: string;
  /** The session whose stream carries the events. */
  session: SessionRow;
  /** Where the code runs: the session itself, or the model's branch. */
  runsIn: SessionRow;
  replay: boolean;
  request: string;
  language: "zh" | "en";
  template: TTemplate;
  templateRef: { name: string; version: string };
  model: ResolvedModel;
  context: PromptContext;
  retries: number;
  signal: AbortSignal;
}

export class RunFailed extends Error {
  constructor(readonly info: TaskErrorInfo) {
    super(info.message);
  }
}

/**
 * One model's whole run: answer → code → cell → (traceback → corrected code → cell)* → interpretation.
 * Every model call is stored as a step; every step's tokens go to the user's usage.
 */
export async function runModel(deps: RunDeps, r: RunSpec): Promise<void> {
  const vars = { request: r.request, language: r.language === "zh" ? "Chinese (简体中文)" : "English", datasets: r.context.datasets, history: r.context.history, variables: r.context.variables };
  const hints = (phase: OfflineHints["phase"], extra: Partial<OfflineHints> = {}): OfflineHints => ({
    phase, request: r.request, language: r.language, datasets: r.context.facts, recipes: r.template.recipes, ...extra,
  });
  const messages: ChatMessage[] = [
    { role: "system", content: render(r.template.system, vars, `${r.templateRef.name}.system`) },
    { role: "user", content: render(r.template.user, vars, `${r.templateRef.name}.user`) },
  ];
  if (r.template.mode === "strategy") {
    const answer = await call(deps, r, "plan", 1, messages, hints("plan"));
    await deps.db.updateTable("llm_runs").set({ interpretation: answer }).where("id", "=", r.runId).execute();
    return;
  }

  let code: string | null = null;
  let cell: { id: string; status: string; outputs: import("../kernel/outputs.js").TOutput[]; error: string | null } | null = null;
  for (let attempt = 1; attempt <= r.retries + 1; attempt++) {
    const kind: StepKind = attempt === 1 ? "code" : "repair";
    const answer = await call(deps, r, kind, attempt, messages, hints(kind === "code" ? "code" : "repair", { error: cell?.error ?? "" }));
    code = extractCode(answer);
    if (!code) throw new RunFailed({ kind: "no_code", status: null, retryable: false, message: attempt === 1 ? "The model's answer contains no Python code to run" : "The model's corrected answer contains no Python code" });
    await deps.events.publish(r.session.id, [{ type: "task.code", taskId: r.taskId, runId: r.runId, attempt, code }]);
    if (r.signal.aborted) throw new LlmError("cancelled", null, false, "Cancelled");
    const submitted = await deps.executor.submit(r.runsIn, { code, source: "model", replay: r.replay && attempt === 1 });
    await deps.db.updateTable("llm_steps").set({ code, cell_id: submitted.cell.id }).where("run_id", "=", r.runId).where("attempt", "=", attempt).where("kind", "=", kind).execute();
    const done = await submitted.done;
    cell = { id: done.id, status: done.status, outputs: done.outputs, error: done.error };
    await deps.db.updateTable("llm_steps").set({ cell_status: done.status }).where("run_id", "=", r.runId).where("attempt", "=", attempt).where("kind", "=", kind).execute();
    await deps.db.updateTable("llm_runs").set({ code, cell_id: done.id }).where("id", "=", r.runId).execute();
    await deps.events.publish(r.session.id, [{ type: "task.attempt", taskId: r.taskId, runId: r.runId, attempt, cellId: done.id, status: done.status, error: done.error }]);
    if (done.status === "ok") break;
    if (done.status === "cancelled" || r.signal.aborted) throw new LlmError("cancelled", null, false, "Cancelled");
    const traceback = summariseOutputs(done.outputs.filter((o) => o.output_type === "error" || o.output_type === "stream"), 4000);
    messages.push({ role: "assistant", content: answer }, { role: "user", content: render(r.template.repair ?? "", { ...vars, code, error: `${done.error ?? ""}\n${traceback}` }, `${r.templateRef.name}.repair`) });
  }
  if (!cell || cell.status !== "ok") {
    throw new RunFailed({ kind: "kernel", status: null, retryable: false, message: `The code still failed after ${r.retries + 1} attempts: ${cell?.error ?? "unknown error"}` });
  }
  const outputs = summariseOutputs(cell.outputs, Math.round(deps.config.contextTokens * 2));
  const ask: ChatMessage[] = [messages[0]!, { role: "user", content: render(r.template.interpret ?? "", { ...vars, code: code!, outputs }, `${r.templateRef.name}.interpret`) }];
  const text = await call(deps, r, "interpret", 1, ask, hints("interpret", { outputs }));
  await deps.db.updateTable("llm_runs").set({ interpretation: text }).where("id", "=", r.runId).execute();
  await deps.events.publish(r.session.id, [{ type: "task.interpretation", taskId: r.taskId, runId: r.runId, text }]);
}

/** One streamed model call: tokens out as transient events, then the stored step, usage, and the whole answer. */
async function call(deps: RunDeps, r: RunSpec, step: StepKind, attempt: number, messages: ChatMessage[], hints: OfflineHints): Promise<string> {
  let offset = 0;
  const base = { taskId: r.taskId, runId: r.runId, step, attempt };
  const record = async (answer: string, u: { tokensIn: number; tokensOut: number; latencyMs: number }, error: string | null) => {
    const cost = estimateCost(r.model.spec, u.tokensIn, u.tokensOut);
    await deps.db
      .insertInto("llm_steps")
      .values({
        run_id: r.runId, kind: step, attempt, model: r.model.spec, template: r.templateRef.name, template_version: r.templateRef.version,
        prompt: jsonb(messages), answer: withoutNul(answer), tokens_in: u.tokensIn, tokens_out: u.tokensOut, latency_ms: u.latencyMs, cost_usd: cost, error,
      })
      .execute();
    await recordUsage(deps.db, r.userId, r.model.spec, { ...u, costUsd: cost });
    return cost;
  };
  let partial = "";
  const started = Date.now();
  try {
    const res = await streamAnswer(
      r.model.client,
      { model: r.model.model, messages, maxTokens: deps.config.maxOutputTokens, temperature: 0.2, hints },
      deps.config.call,
      r.signal,
      (token) => {
        const text = withoutNul(token);
        partial += text;
        deps.events.publishTransient(r.session.id, { type: "task.token", ...base, offset, text });
        offset += text.length;
      },
    );
    // PGlite runs queries on this thread: let the last tokens reach the sockets (one full turn of the event loop,
    // its poll phase included) before the step is written.
    await new Promise((r) => setTimeout(r, 1));
    res.text = withoutNul(res.text);
    const cost = await record(res.text, res, null);
    await deps.events.publish(r.session.id, [
      { type: "task.answer", ...base, text: res.text },
      { type: "task.usage", taskId: r.taskId, runId: r.runId, model: r.model.spec, tokensIn: res.tokensIn, tokensOut: res.tokensOut, latencyMs: res.latencyMs, estimatedCostUsd: cost },
    ]);
    return res.text;
  } catch (err) {
    const e = err instanceof LlmError ? err : err instanceof AppError ? err : new LlmError("server", null, false, "The model call failed");
    // A failed call is a step too: what was sent, what had arrived, and why it stopped.
    await record(partial, { tokensIn: 0, tokensOut: 0, latencyMs: Date.now() - started }, e.message).catch(() => {});
    throw err;
  }
}
