import { assertNever } from "@/lib/assert-never";
import type { SessionEvent } from "./apply-event";

export type TaskEvent = Extract<SessionEvent, { type: `task.${string}` }>;
type Of<T extends TaskEvent["type"]> = Extract<TaskEvent, { type: T }>;
export type StepKind = Of<"task.token">["step"];
export type RunStatus = "running" | Of<"task.run.done">["status"];

export interface RunView {
  runId: string;
  model: string;
  runsIn: string;
  /** Model text per step and attempt ("code:1", "interpret:1"), streamed token by token, then whole. */
  texts: Record<string, string>;
  /** The step being streamed last, to show as the live answer. */
  lastText: string | null;
  code: string | null;
  attempts: { attempt: number; cellId: string; status: string; error: string | null }[];
  interpretation: string | null;
  usage: Omit<Of<"task.usage">, "type" | "taskId" | "runId"> | null;
  status: RunStatus;
  error: Of<"task.run.done">["error"];
}

export interface TaskView {
  id: string;
  request: string;
  mode: Of<"task.created">["mode"];
  template: string;
  runs: RunView[];
  status: RunStatus;
  /** The notebook position it follows: the last cell's when it was asked (its own cells come after). */
  after: number;
}

export type Tasks = TaskView[];

const textKey = (step: StepKind, attempt: number) => `${step}:${attempt}`;

/** Task events, in one typed switch: each lands on its task's run. Unknown task/run ids are ignored (out-of-order replay cannot crash the page). */
export function applyTaskEvent(tasks: Tasks, e: TaskEvent, lastPosition = -1): Tasks {
  switch (e.type) {
    case "task.created": {
      const runs = e.models.map((m): RunView => ({ ...m, texts: {}, lastText: null, code: null, attempts: [], interpretation: null, usage: null, status: "running", error: null }));
      const task: TaskView = { id: e.taskId, request: e.request, mode: e.mode, template: e.template, runs, status: "running", after: lastPosition };
      return [...tasks.filter((t) => t.id !== e.taskId), task];
    }
    case "task.token":
      return onRun(tasks, e.taskId, e.runId, (r) => {
        const key = textKey(e.step, e.attempt);
        const prev = r.texts[key] ?? "";
        // Offsets make a token that arrives twice (a resumed stream) harmless.
        const text = e.offset > prev.length ? prev : prev.slice(0, e.offset) + e.text;
        return { ...r, texts: { ...r.texts, [key]: text }, lastText: key };
      });
    case "task.answer":
      return onRun(tasks, e.taskId, e.runId, (r) => {
        const key = textKey(e.step, e.attempt);
        return { ...r, texts: { ...r.texts, [key]: e.text }, lastText: key };
      });
    case "task.code":
      return onRun(tasks, e.taskId, e.runId, (r) => ({ ...r, code: e.code }));
    case "task.attempt":
      return onRun(tasks, e.taskId, e.runId, (r) => ({
        ...r,
        attempts: [...r.attempts.filter((a) => a.attempt !== e.attempt), { attempt: e.attempt, cellId: e.cellId, status: e.status, error: e.error }],
      }));
    case "task.interpretation":
      return onRun(tasks, e.taskId, e.runId, (r) => ({ ...r, interpretation: e.text }));
    case "task.usage": {
      const { type: _t, taskId: _k, runId: _r, ...usage } = e;
      return onRun(tasks, e.taskId, e.runId, (r) => ({ ...r, usage }));
    }
    case "task.run.done":
      return onRun(tasks, e.taskId, e.runId, (r) => ({ ...r, status: e.status, error: e.error }));
    case "task.done":
      return tasks.map((t) => (t.id === e.taskId ? { ...t, status: e.status } : t));
    default:
      return assertNever(e, "task event");
  }
}

function onRun(tasks: Tasks, taskId: string, runId: string, fn: (r: RunView) => RunView): Tasks {
  return tasks.map((t) => (t.id === taskId ? { ...t, runs: t.runs.map((r) => (r.runId === runId ? fn(r) : r)) } : t));
}

/** The ids of cells a task's runs executed: shown inside the task, not again as loose cells. */
export function taskCellIds(tasks: Tasks): Set<string> {
  return new Set(tasks.flatMap((t) => t.runs.flatMap((r) => r.attempts.map((a) => a.cellId))));
}
