"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useDeferredValue, useState } from "react";
import { Button, buttonClass } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { BookIcon, EyeIcon, SearchIcon, TrashIcon } from "@/components/ui/icons";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toaster";
import { defaultTitle, useCreateSession } from "@/features/workspace/hooks/use-create-session";
import { useLang, useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { inDateRange } from "../lib/filter";

export function HistoryList() {
  const t = useT();
  const lang = useLang();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useCreateSession();
  const [text, setText] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [model, setModel] = useState("");
  const query = useDeferredValue(text.trim());
  const list = useQuery(trpc.sessions.list.queryOptions({ query: query || undefined, limit: 200 }, { placeholderData: keepPreviousData }));
  const remove = useMutation(
    trpc.sessions.delete.mutationOptions({
      onSuccess: () => {
        toast.success(t("history.deleted"));
        void queryClient.invalidateQueries(trpc.sessions.list.pathFilter());
      },
    }),
  );
  const models = [...new Set((list.data ?? []).flatMap((s) => s.models))].sort();
  const rows = (list.data ?? []).filter((s) => inDateRange(s, from, to) && (!model || s.models.includes(model)));
  const filtering = Boolean(query || from || to || model);

  return (
    <div className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
      <div className="flex flex-wrap items-end gap-3">
        <div className="mr-auto">
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{t("history.title")}</h1>
          <p className="mt-1 text-sm text-slate-500">{t("history.lead")}</p>
        </div>
        <Button variant="primary" onClick={() => create.mutate({ title: defaultTitle() })} disabled={create.isPending}>{t("start.new")}</Button>
      </div>
      <div className="mt-6 grid gap-3 sm:grid-cols-[1fr_auto_auto_auto]">
        <label className="relative block">
          <span className="sr-only">{t("history.search")}</span>
          <SearchIcon className="pointer-events-none absolute top-2.5 left-3 size-4 text-slate-400" />
          <Input className="pl-9" placeholder={t("history.searchPlaceholder")} value={text} onChange={(e) => setText(e.target.value)} data-testid="history-search" />
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-500">
          {t("history.model")}
          <select
            value={model}
            onChange={(e) => setModel(e.target.value)}
            className="h-9 rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-700"
            data-testid="history-model"
          >
            <option value="">{t("history.allModels")}</option>
            {models.map((m) => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-500">
          {t("history.from")}
          <Input type="date" value={from} onChange={(e) => setFrom(e.target.value)} className="w-40" />
        </label>
        <label className="flex items-center gap-2 text-sm text-slate-500">
          {t("history.to")}
          <Input type="date" value={to} onChange={(e) => setTo(e.target.value)} className="w-40" />
        </label>
      </div>
      <div className="mt-6">
        {list.isPending ? (
          <div className="space-y-2">{[0, 1, 2, 3].map((i) => <Skeleton key={i} className="h-16 w-full" />)}</div>
        ) : rows.length === 0 ? (
          <EmptyState
            icon={<BookIcon className="size-8" />}
            title={t(filtering ? "history.noMatch" : "history.empty")}
            body={t(filtering ? "history.noMatchBody" : "history.emptyBody")}
            action={!filtering && <Button variant="primary" onClick={() => create.mutate({ title: defaultTitle() })}>{t("start.new")}</Button>}
          />
        ) : (
          <ul className="divide-y divide-slate-100 overflow-hidden rounded-xl border border-slate-200 bg-white" data-testid="history-list">
            {rows.map((s) => (
              <li key={s.id} className="flex flex-wrap items-center gap-3 px-4 py-3 hover:bg-slate-50/70" data-testid="history-item">
                <div className="min-w-0 flex-1">
                  <Link href={`/workspace?session=${s.id}`} className="block truncate font-medium text-slate-900 hover:text-indigo-600">{s.title}</Link>
                  <p className="mt-0.5 text-xs text-slate-500">
                    {t("history.updated", { when: new Date(s.updatedAt).toLocaleString(lang) })} · {t("history.created", { when: new Date(s.createdAt).toLocaleDateString(lang) })}
                    {s.models.length > 0 && <> · {s.models.join(", ")}</>}
                  </p>
                </div>
                <Link href={`/workspace?session=${s.id}&readonly=1`} className={buttonClass("ghost", "sm")} data-testid="history-open-readonly">
                  <EyeIcon className="size-3.5" /> {t("history.view")}
                </Link>
                <Link href={`/workspace?session=${s.id}`} className={buttonClass("secondary", "sm")} data-testid="history-continue">
                  {t("session.continue")}
                </Link>
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={t("history.delete")}
                  className="text-slate-400 hover:text-red-700"
                  onClick={() => window.confirm(t("history.confirmDelete", { title: s.title })) && remove.mutate({ sessionId: s.id })}
                >
                  <TrashIcon className="size-3.5" />
                </Button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
