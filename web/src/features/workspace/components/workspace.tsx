"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useRef } from "react";
import { buttonClass } from "@/components/ui/button";
import { Kbd } from "@/components/ui/kbd";
import { Skeleton } from "@/components/ui/skeleton";
import { RequestBox } from "@/features/analysis/components/request-box";
import { TaskView } from "@/features/analysis/components/task-view";
import { DatasetsPanel } from "@/features/datasets/components/datasets-panel";
import type { Cell } from "@/features/outputs/lib/types";
import { assertNever } from "@/lib/assert-never";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { useWorkspaceSession } from "../hooks/use-workspace-session";
import { notebookItems } from "../lib/notebook-items";
import { CellView } from "./cell-view";
import { NewCell, type NewCellHandle } from "./new-cell";
import { SessionHeader } from "./session-header";

export function Workspace({ sessionId, readOnly }: { sessionId: string; readOnly: boolean }) {
  const t = useT();
  const trpc = useTRPC();
  const { session, state } = useWorkspaceSession(sessionId);
  const newCell = useRef<NewCellHandle>(null);
  const run = useMutation(trpc.sessions.run.mutationOptions());
  const interrupt = useMutation(trpc.sessions.interrupt.mutationOptions());
  const runMutate = run.mutate;
  const interruptMutate = interrupt.mutate;

  const runCell = useCallback(
    (cell: Cell, code: string, advance: boolean) => {
      runMutate({ sessionId, code, cellId: cell.id });
      if (advance) newCell.current?.focus();
    },
    [runMutate, sessionId],
  );
  const onInterrupt = useCallback(() => interruptMutate({ sessionId }), [interruptMutate, sessionId]);

  if (session.isError) {
    return (
      <div className="mx-auto max-w-3xl px-6 py-16 text-center">
        <h1 className="text-lg font-semibold text-slate-900">{t("session.notFound")}</h1>
        <p className="mt-2 text-sm text-slate-500">{t("session.notFoundBody")}</p>
        <Link href="/history" className={buttonClass("secondary", "md", "mt-6")}>{t("nav.history")}</Link>
      </div>
    );
  }
  if (!session.data || !state) return <WorkspaceSkeleton />;
  const items = notebookItems(state.cells, state.tasks);

  return (
    <div className="mx-auto w-full max-w-[1800px] px-4 py-5 sm:px-6">
      <SessionHeader sessionId={sessionId} title={session.data.title} state={state} readOnly={readOnly} />
      {readOnly && (
        <div className="mt-4 flex flex-wrap items-center gap-3 rounded-lg bg-slate-100 px-4 py-2.5 text-sm text-slate-700">
          <span>{t("session.readOnlyBanner")}</span>
          <Link href={`/workspace?session=${sessionId}`} className={buttonClass("primary", "sm", "ml-auto")} data-testid="continue">
            {t("session.continue")}
          </Link>
        </div>
      )}
      <div className="mt-5 grid items-start gap-6 lg:grid-cols-[17rem_minmax(0,1fr)] 2xl:grid-cols-[20rem_minmax(0,1fr)]">
        <div className="lg:sticky lg:top-20">
          <DatasetsPanel sessionId={sessionId} readOnly={readOnly} />
        </div>
        <div className="min-w-0 space-y-4" data-testid="notebook">
          {items.length === 0 && <p className="text-sm text-slate-500">{t(readOnly ? "session.noCells" : "session.emptyHint")}</p>}
          {items.map((item) => {
            switch (item.kind) {
              case "cell":
                return <CellView key={item.cell.id} cell={item.cell} readOnly={readOnly} onRun={runCell} onInterrupt={onInterrupt} />;
              case "task":
                return <TaskView key={item.task.id} task={item.task} sessionId={sessionId} cells={state.cells} readOnly={readOnly} onRun={runCell} onInterrupt={onInterrupt} />;
              default:
                return assertNever(item, "notebook item");
            }
          })}
          {!readOnly && (
            <>
              <RequestBox sessionId={sessionId} />
              <NewCell ref={newCell} pending={run.isPending} onRun={(code) => run.mutateAsync({ sessionId, code })} />
              <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-400">
                <span><Kbd>Shift</Kbd> + <Kbd>Enter</Kbd> {t("shortcuts.runAdvance")}</span>
                <span><Kbd>Ctrl/⌘</Kbd> + <Kbd>Enter</Kbd> {t("shortcuts.run")}</span>
              </p>
            </>
          )}
        </div>
      </div>
    </div>
  );
}

function WorkspaceSkeleton() {
  return (
    <div className="mx-auto w-full max-w-[1800px] space-y-4 px-4 py-5 sm:px-6" aria-busy>
      <div className="flex items-center gap-3">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="ml-auto h-7 w-56" />
      </div>
      <div className="grid gap-6 lg:grid-cols-[17rem_1fr]">
        <Skeleton className="h-40 w-full" />
        <div className="space-y-4">
          <Skeleton className="h-28 w-full" />
          <Skeleton className="h-44 w-full" />
        </div>
      </div>
    </div>
  );
}
