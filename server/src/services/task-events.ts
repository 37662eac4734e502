import type { LlmErrorKind } from "../llm/errors.js";

/**
 * An analysis task's events on the session's one stream. `task.token` is transient (never stored: a task
 * would otherwise write a row per token); every other one is persisted, and `task.answer` carries the whole
 * text of each model call, so a client that missed tokens (reconnect) still has everything.
 */
export type TTaskEvent =
  | { type: "task.created"; taskId: string; request: string; mode: "analysis" | "strategy"; template: string; models: { runId: string; model: string; runsIn: string }[] }
  | { type: "task.token"; taskId: string; runId: string; step: StepKind; attempt: number; offset: number; text: string }
  | { type: "task.answer"; taskId: string; runId: string; step: StepKind; attempt: number; text: string }
  | { type: "task.code"; taskId: string; runId: string; attempt: number; code: string }
  | { type: "task.attempt"; taskId: string; runId: string; attempt: number; cellId: string; status: string; error: string | null }
  | { type: "task.interpretation"; taskId: string; runId: string; text: string }
  | { type: "task.usage"; taskId: string; runId: string; model: string; tokensIn: number; tokensOut: number; latencyMs: number; estimatedCostUsd: number | null }
  | { type: "task.run.done"; taskId: string; runId: string; status: "ok" | "error" | "cancelled"; error: TaskErrorInfo | null }
  | { type: "task.done"; taskId: string; status: "ok" | "error" | "cancelled" };

export type StepKind = "code" | "repair" | "plan" | "interpret";

export interface TaskErrorInfo {
  kind: LlmErrorKind | "no_code" | "kernel" | "internal";
  status: number | null;
  retryable: boolean;
  message: string;
}
