"use client";
import { useMutation } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Spinner } from "@/components/ui/spinner";
import { Markdown } from "@/features/outputs/components/markdown";
import type { Cell } from "@/features/outputs/lib/types";
import { CellView } from "@/features/workspace/components/cell-view";
import { useWorkspaceSession } from "@/features/workspace/hooks/use-workspace-session";
import type { RunView, TaskView as Task } from "@/features/workspace/lib/tasks";
import { assertNever } from "@/lib/assert-never";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";

interface Props {
  task: Task;
  sessionId: string;
  cells: Cell[];
  readOnly: boolean;
  onRun: (cell: Cell, code: string, advance: boolean) => void;
  onInterrupt: () => void;
}

/** One request: the question, then each model's streamed answer, code cells, outputs and interpretation, side by side. */
export function TaskView({ task, sessionId, cells, readOnly, onRun, onInterrupt }: Props) {
  const t = useT();
  const trpc = useTRPC();
  const cancel = useMutation(trpc.llm.analysis.cancel.mutationOptions());
  const many = task.runs.length > 1;
  return (
    <article className="space-y-3" data-testid="task" data-task-status={task.status}>
      <div className="flex items-start gap-3">
        <div className="flex-1 rounded-xl bg-indigo-50 px-4 py-2.5 text-sm whitespace-pre-wrap text-indigo-950">{task.request}</div>
        <div className="flex shrink-0 flex-col items-end gap-1 pt-1">
          <span className="max-w-64 truncate text-[11px] text-slate-400" title={task.template}>{t(task.mode === "analysis" ? "ask.modeAnalysis" : "ask.modeStrategy")} · {task.template}</span>
          {task.status === "running" && !readOnly && (
            <Button size="sm" variant="ghost" onClick={() => cancel.mutate({ taskId: task.id })} disabled={cancel.isPending}>{t("task.cancel")}</Button>
          )}
        </div>
      </div>
      <div className={cn("grid gap-3", many && "xl:grid-cols-2", task.runs.length > 2 && "2xl:grid-cols-3")}>
        {task.runs.map((run) =>
          run.runsIn === sessionId ? (
            <RunCard key={run.runId} run={run} taskId={task.id} cells={cells} readOnly={readOnly} onRun={onRun} onInterrupt={onInterrupt} />
          ) : (
            <BranchRunCard key={run.runId} run={run} taskId={task.id} readOnly={readOnly} />
          ),
        )}
      </div>
    </article>
  );
}

/** A run in a branch session of its own (several models): its cells come from that session's stream. */
function BranchRunCard({ run, taskId, readOnly }: { run: RunView; taskId: string; readOnly: boolean }) {
  const { state } = useWorkspaceSession(run.runsIn);
  return <RunCard run={run} taskId={taskId} cells={state?.cells ?? []} readOnly readOnlyCells adoptable={!readOnly} onRun={() => {}} onInterrupt={() => {}} />;
}

interface RunProps {
  run: RunView;
  taskId: string;
  cells: Cell[];
  readOnly: boolean;
  readOnlyCells?: boolean;
  adoptable?: boolean;
  onRun: (cell: Cell, code: string, advance: boolean) => void;
  onInterrupt: () => void;
}

function RunCard({ run, taskId, cells, readOnly, readOnlyCells = readOnly, adoptable = false, onRun, onInterrupt }: RunProps) {
  const t = useT();
  const trpc = useTRPC();
  const adopt = useMutation(trpc.llm.analysis.adopt.mutationOptions());
  const attemptCells = run.attempts.map((a) => cells.find((c) => c.id === a.cellId)).filter((c): c is Cell => Boolean(c));
  const live = run.lastText ? run.texts[run.lastText] : undefined;
  const writingCode = run.status === "running" && attemptCells.length === 0 && run.lastText?.startsWith("code");
  return (
    <section className="min-w-0 space-y-2 rounded-xl border border-slate-200 bg-white/60 p-3" data-testid="run" data-run-status={run.status}>
      <header className="flex flex-wrap items-center gap-2 text-xs">
        <span className="font-mono font-medium text-slate-800">{run.model}</span>
        <RunStatus run={run} />
        {run.attempts.length > 1 && <span className="text-slate-500">{t("task.attempts", { n: run.attempts.length })}</span>}
        {run.usage && run.usage.tokensIn + run.usage.tokensOut > 0 && (
          <span className="ml-auto text-slate-400" data-testid="run-usage">
            {t("task.usage", { tin: run.usage.tokensIn, tout: run.usage.tokensOut, s: (run.usage.latencyMs / 1000).toFixed(1) })}
          </span>
        )}
      </header>
      {writingCode && live !== undefined && (
        <pre className="max-h-64 overflow-auto rounded-lg bg-slate-50 px-3 py-2 font-mono text-xs text-slate-600" data-testid="run-stream">{live}</pre>
      )}
      {!writingCode && live !== undefined && attemptCells.length === 0 && (
        <div className="rounded-lg bg-white" data-testid="run-answer"><Markdown source={live} /></div>
      )}
      {attemptCells.map((cell) => (
        <CellView key={cell.id} cell={cell} readOnly={readOnlyCells} onRun={onRun} onInterrupt={onInterrupt} />
      ))}
      {run.interpretation && (
        <div className="rounded-lg border-l-4 border-emerald-400 bg-emerald-50/60" data-testid="interpretation">
          <p className="px-3 pt-2 text-[11px] font-semibold tracking-wide text-emerald-800 uppercase">{t("task.interpretation")}</p>
          <Markdown source={run.interpretation} />
        </div>
      )}
      {run.error && <p className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-800" role="alert">{run.error.message}</p>}
      {adoptable && run.status === "ok" && run.code && (
        <Button size="sm" onClick={() => adopt.mutate({ taskId, runId: run.runId })} disabled={adopt.isPending}>{t("task.adopt")}</Button>
      )}
    </section>
  );
}

function RunStatus({ run }: { run: RunView }) {
  const t = useT();
  switch (run.status) {
    case "running":
      return <Badge tone="blue"><Spinner className="size-3" />{t("task.running")}</Badge>;
    case "ok":
      return <Badge tone="green">{t("task.ok")}</Badge>;
    case "error":
      return <Badge tone="red">{t("task.error")}</Badge>;
    case "cancelled":
      return <Badge tone="amber">{t("task.cancelled")}</Badge>;
    default:
      return assertNever(run.status, "run status");
  }
}
