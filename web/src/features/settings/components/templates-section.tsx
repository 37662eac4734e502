"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toaster";
import { useLang, useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";

const SKELETON = `name: my-template
mode: analysis
title: {en: "My analysis", zh: "我的分析"}
description: What this template is for.
system: |
  You are a careful biostatistician writing Python for a Jupyter kernel.
  {{datasets}}
user: |
  {{request}}
`;

/** Own prompt templates (YAML): create, edit (every save is a new version), see versions; built-ins listed. */
export function TemplatesSection() {
  const t = useT();
  const lang = useLang();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.llm.templates.list.queryOptions());
  const [editing, setEditing] = useState<{ name: string | null; body: string } | null>(null);
  const versions = useQuery(trpc.llm.templates.versions.queryOptions({ name: editing?.name ?? "" }, { enabled: Boolean(editing?.name) }));
  const save = useMutation(
    trpc.llm.templates.save.mutationOptions({
      onSuccess: (saved) => {
        toast.success(t("settings.templateSaved", { name: saved.name, version: saved.version }));
        setEditing({ name: saved.name, body: saved.body });
        void queryClient.invalidateQueries(trpc.llm.templates.pathFilter());
      },
    }),
  );
  if (!list.data) return <Skeleton className="h-32 w-full" />;
  return (
    <div className="space-y-4">
      <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
        {list.data.own.map((x) => (
          <li key={x.id} className="flex items-center gap-3 px-4 py-2">
            <span className="font-mono text-slate-900">{x.name}</span>
            <span className="text-xs text-slate-500">v{x.version}</span>
            <Button size="sm" variant="ghost" className="ml-auto" onClick={() => setEditing({ name: x.name, body: x.body })}>{t("settings.edit")}</Button>
          </li>
        ))}
        {list.data.builtin.map((x) => (
          <li key={x.name} className="flex items-center gap-3 px-4 py-2 text-slate-600">
            <span className="font-mono">{x.name}</span>
            <span className="truncate text-xs">{lang === "zh-CN" ? x.title.zh : x.title.en}</span>
            <span className="ml-auto text-xs text-slate-400">{t("settings.builtin")}</span>
          </li>
        ))}
      </ul>
      {editing ? (
        <div className="rounded-lg border border-slate-200 bg-white p-3">
          <textarea value={editing.body} onChange={(e) => setEditing({ ...editing, body: e.target.value })} rows={14} spellCheck={false} aria-label={t("settings.templateBody")}
            className="block w-full rounded-md border-0 bg-slate-50 p-3 font-mono text-xs text-slate-800 ring-1 ring-slate-200 focus:ring-2 focus:ring-indigo-600 focus:outline-none" />
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <Button size="sm" variant="primary" onClick={() => save.mutate({ body: editing.body })} disabled={save.isPending}>{t("settings.saveVersion")}</Button>
            <Button size="sm" variant="ghost" onClick={() => setEditing(null)}>{t("common.close")}</Button>
            {versions.data && versions.data.length > 0 && (
              <span className="ml-auto text-xs text-slate-500">
                {t("settings.versions")}: {versions.data.map((v) => (
                  <button key={v.id} type="button" className="ml-1 underline hover:text-slate-900" onClick={() => setEditing({ name: v.name, body: v.body })}>v{v.version}</button>
                ))}
              </span>
            )}
          </div>
        </div>
      ) : (
        <Button size="sm" onClick={() => setEditing({ name: null, body: SKELETON })}>{t("settings.newTemplate")}</Button>
      )}
    </div>
  );
}
