"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Button, buttonClass } from "@/components/ui/button";
import { DownloadIcon, PencilIcon, RestartIcon, StopIcon } from "@/components/ui/icons";
import { Input } from "@/components/ui/input";
import { toast } from "@/components/ui/toaster";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import type { WorkspaceState } from "../lib/apply-event";
import { KernelStatus } from "./kernel-status";

interface Props {
  sessionId: string;
  title: string;
  state: WorkspaceState;
  readOnly: boolean;
}

export function SessionHeader({ sessionId, title, state, readOnly }: Props) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(title);
  const rename = useMutation(
    trpc.sessions.rename.mutationOptions({
      onSuccess: () => {
        setEditing(false);
        void queryClient.invalidateQueries(trpc.sessions.pathFilter());
      },
    }),
  );
  const interrupt = useMutation(trpc.sessions.interrupt.mutationOptions());
  const restart = useMutation(trpc.sessions.restart.mutationOptions({ onSuccess: () => toast.success(t("kernel.restarted")) }));
  const busy = state.cells.some((c) => c.status === "running" || c.status === "queued");

  const submit = (e: FormEvent) => {
    e.preventDefault();
    rename.mutate({ sessionId, title: draft });
  };

  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
      {editing ? (
        <form onSubmit={submit} className="flex min-w-64 flex-1 items-center gap-2">
          <Input autoFocus value={draft} onChange={(e) => setDraft(e.target.value)} aria-label={t("session.title")} onKeyDown={(e) => e.key === "Escape" && setEditing(false)} />
          <Button type="submit" size="sm" variant="primary" disabled={rename.isPending}>{t("common.save")}</Button>
        </form>
      ) : (
        <h1 className="flex min-w-0 items-center gap-1.5 text-lg font-semibold text-slate-900" data-testid="session-title">
          <span className="truncate">{title}</span>
          {!readOnly && (
            <button type="button" aria-label={t("session.rename")} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-700" onClick={() => { setDraft(title); setEditing(true); }}>
              <PencilIcon className="size-3.5" />
            </button>
          )}
        </h1>
      )}
      <div className="ml-auto flex flex-wrap items-center gap-2">
        <KernelStatus state={state.kernel} message={state.kernelMessage} />
        {!readOnly && (
          <>
            <Button size="sm" onClick={() => interrupt.mutate({ sessionId })} disabled={!busy || interrupt.isPending} data-testid="interrupt">
              <StopIcon className="size-3.5" /> {t("kernel.interrupt")}
            </Button>
            <Button size="sm" onClick={() => restart.mutate({ sessionId })} disabled={restart.isPending} data-testid="restart">
              <RestartIcon className="size-3.5" /> {t("kernel.restart")}
            </Button>
          </>
        )}
        <a href={`/api/sessions/${sessionId}/notebook.ipynb`} download className={buttonClass("secondary", "sm")} data-testid="download-ipynb">
          <DownloadIcon className="size-3.5" /> .ipynb
        </a>
      </div>
    </div>
  );
}
