import { assertNever } from "@/lib/assert-never";
import type { RouterOutputs } from "@/lib/trpc";
import type { Cell, Output } from "@/features/outputs/lib/types";
import { type Tasks, applyTaskEvent } from "./tasks";

/** One event of `sessions.events`, as the server's subscription yields it. */
type Envelope = RouterOutputs["sessions"]["events"] extends AsyncIterable<infer E> ? E : never;
export type SessionEvent = Envelope extends { data: infer D } ? D : never;
type OutputChange = Extract<SessionEvent, { type: "cell.output" }>["change"];
export type KernelState = Extract<SessionEvent, { type: "kernel.status" }>["status"] | "none";

export interface WorkspaceState {
  cells: Cell[];
  tasks: Tasks;
  kernel: KernelState;
  kernelMessage: string | null;
}

export function initialState(snapshot: { cells: Cell[]; kernelLive: boolean }): WorkspaceState {
  return { cells: snapshot.cells, tasks: [], kernel: snapshot.kernelLive ? "idle" : "none", kernelMessage: null };
}

/**
 * Every session event, applied in one typed switch. Events replayed from the start of the session land on
 * the snapshot idempotently (tasks exist only in events, so they are rebuilt from the first one): a cell.created (a run or re-run starting) resets that cell, and what follows
 * rebuilds it, so the result is the same whether the snapshot was taken before or after them.
 */
export function applyEvent(state: WorkspaceState, event: SessionEvent): WorkspaceState {
  switch (event.type) {
    case "cell.created":
      return { ...state, cells: upsert(state.cells, event.cell) };
    case "cell.status": {
      const { cellId, type: _type, ...fields } = event;
      return { ...state, kernel: kernelAfterCell(state.kernel, fields.status), cells: patch(state.cells, cellId, (c) => ({ ...c, ...fields })) };
    }
    case "cell.output":
      return { ...state, cells: patch(state.cells, event.cellId, (c) => ({ ...c, outputs: applyChange(c.outputs, event.change) })) };
    case "kernel.status":
      return { ...state, kernel: event.status, kernelMessage: event.message ?? null };
    case "task.created":
    case "task.token":
    case "task.answer":
    case "task.code":
    case "task.attempt":
    case "task.interpretation":
    case "task.usage":
    case "task.run.done":
    case "task.done":
      return { ...state, tasks: applyTaskEvent(state.tasks, event, Math.max(-1, ...state.cells.map((c) => c.position))) };
    default:
      return assertNever(event, "session event");
  }
}

/**
 * The server sends busy/idle only through cell statuses (a kernel flips them on every cell), and sends
 * kernel.status for the rarer changes: a running cell means busy, a finished one idle, unless the kernel
 * has meanwhile died or stopped.
 */
function kernelAfterCell(kernel: KernelState, status: Cell["status"]): KernelState {
  if (status === "running") return "busy";
  if (status === "queued") return kernel;
  return kernel === "busy" || kernel === "starting" || kernel === "none" ? "idle" : kernel;
}

function upsert(cells: Cell[], cell: Cell): Cell[] {
  const rest = cells.filter((c) => c.id !== cell.id);
  return [...rest, cell].sort((a, b) => a.position - b.position);
}

function patch(cells: Cell[], id: string, fn: (c: Cell) => Cell): Cell[] {
  return cells.map((c) => (c.id === id ? fn(c) : c));
}

export function applyChange(outputs: Output[], change: OutputChange): Output[] {
  switch (change.kind) {
    case "clear":
      return [];
    case "set": {
      const next = outputs.slice();
      next[change.index] = change.output;
      return next;
    }
    case "append": {
      const target = outputs[change.index];
      const next = outputs.slice();
      next[change.index] =
        target?.output_type === "stream"
          ? { ...target, text: target.text + change.text }
          : { output_type: "stream", name: change.name, text: change.text };
      return next;
    }
    default:
      return assertNever(change, "output change");
  }
}
