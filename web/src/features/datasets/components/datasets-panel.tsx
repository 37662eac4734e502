"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { UploadIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/skeleton";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { useUploadAndAttach } from "../hooks/use-upload";
import { DatasetPreview } from "./dataset-preview";

/** The session's data: upload (progress, cancel), attach one uploaded before, open a preview and profile. */
export function DatasetsPanel({ sessionId, readOnly }: { sessionId: string; readOnly: boolean }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState<string | null>(null);
  const attached = useQuery(trpc.datasets.attached.queryOptions({ sessionId }));
  const mine = useQuery(trpc.datasets.list.queryOptions(undefined, { enabled: !readOnly }));
  const { state, upload, cancel } = useUploadAndAttach(sessionId);
  const attach = useMutation(
    trpc.datasets.attach.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.datasets.attached.queryFilter({ sessionId })) }),
  );
  const attachedIds = new Set(attached.data?.map((a) => a.datasetId));
  const others = (mine.data?.datasets ?? []).filter((d) => !attachedIds.has(d.id));

  return (
    <aside className="space-y-3" data-testid="datasets-panel">
      <div className="flex items-center justify-between">
        <h2 className="text-sm font-semibold text-slate-900">{t("datasets.title")}</h2>
        {!readOnly && (
          <>
            <input
              ref={input}
              type="file"
              className="hidden"
              data-testid="dataset-file"
              accept=".csv,.tsv,.txt,.xlsx,.xls,.xlsm,.parquet,.json,.jsonl,.zip"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = "";
                if (file) void upload(file, file.name);
              }}
            />
            <Button size="sm" onClick={() => input.current?.click()} disabled={state.kind !== "idle"} data-testid="upload">
              <UploadIcon className="size-3.5" /> {t("datasets.upload")}
            </Button>
          </>
        )}
      </div>
      {state.kind !== "idle" && (
        <div className="rounded-lg border border-slate-200 bg-white p-3" data-testid="upload-progress">
          <div className="flex items-center justify-between gap-2 text-xs text-slate-600">
            <span className="truncate">{state.name}</span>
            {state.kind === "uploading" ? (
              <button type="button" onClick={cancel} className="font-medium text-slate-500 hover:text-red-700">{t("datasets.cancel")}</button>
            ) : (
              <span>{t("datasets.attaching")}</span>
            )}
          </div>
          <div className="mt-2 h-1.5 overflow-hidden rounded-full bg-slate-100">
            <div className="h-full rounded-full bg-indigo-600 transition-[width]" style={{ width: `${Math.round((state.kind === "uploading" ? state.progress : 1) * 100)}%` }} />
          </div>
        </div>
      )}
      {attached.isPending ? (
        <Skeleton className="h-14 w-full" />
      ) : attached.data?.length === 0 && state.kind === "idle" ? (
        <p className="rounded-lg border border-dashed border-slate-300 px-3 py-4 text-center text-xs text-slate-500">{t(readOnly ? "datasets.noneReadOnly" : "datasets.none")}</p>
      ) : (
        <ul className="space-y-2">
          {attached.data?.map((a) => (
            <li key={a.datasetId}>
              <button
                type="button"
                onClick={() => setOpen(open === a.datasetId ? null : a.datasetId)}
                className="w-full rounded-lg border border-slate-200 bg-white px-3 py-2 text-left hover:border-indigo-300"
                data-testid="dataset-item"
              >
                <span className="block truncate text-sm font-medium text-slate-900">{a.name}</span>
                <code className="block truncate text-xs text-slate-500">{a.path}</code>
              </button>
              {open === a.datasetId && <DatasetPreview datasetId={a.datasetId} />}
            </li>
          ))}
        </ul>
      )}
      {!readOnly && others.length > 0 && (
        <select
          className="h-8 w-full rounded-md border-0 bg-white px-2 text-xs text-slate-600 ring-1 ring-slate-300"
          value=""
          onChange={(e) => e.target.value && attach.mutate({ sessionId, datasetId: e.target.value })}
          aria-label={t("datasets.addExisting")}
        >
          <option value="">{t("datasets.addExisting")}</option>
          {others.map((d) => (
            <option key={d.id} value={d.id}>{d.name}</option>
          ))}
        </select>
      )}
    </aside>
  );
}
