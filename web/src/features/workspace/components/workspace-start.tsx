"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Button } from "@/components/ui/button";
import { PlusIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/skeleton";
import { useLang, useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { defaultTitle, useCreateSession } from "../hooks/use-create-session";

/** /workspace without a session: start one, or go back to a recent one. */
export function WorkspaceStart() {
  const t = useT();
  const lang = useLang();
  const trpc = useTRPC();
  const create = useCreateSession();
  const recent = useQuery(trpc.sessions.list.queryOptions({ limit: 8 }));
  return (
    <div className="mx-auto max-w-3xl px-4 py-10 sm:px-6">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{t("start.title")}</h1>
      <p className="mt-1 text-sm text-slate-500">{t("start.lead")}</p>
      <Button variant="primary" size="lg" className="mt-6" onClick={() => create.mutate({ title: defaultTitle() })} disabled={create.isPending} data-testid="new-session">
        <PlusIcon /> {t("start.new")}
      </Button>
      <h2 className="mt-10 text-sm font-semibold text-slate-900">{t("start.recent")}</h2>
      <ul className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
        {recent.isPending &&
          [0, 1, 2].map((i) => (
            <li key={i} className="px-4 py-3">
              <Skeleton className="h-4 w-1/2" />
            </li>
          ))}
        {recent.data?.length === 0 && <li className="px-4 py-6 text-center text-sm text-slate-500">{t("start.noRecent")}</li>}
        {recent.data?.map((s) => (
          <li key={s.id}>
            <Link href={`/workspace?session=${s.id}`} className="flex items-center gap-3 px-4 py-3 hover:bg-slate-50">
              <span className="truncate text-sm font-medium text-slate-800">{s.title}</span>
              <span className="ml-auto shrink-0 text-xs text-slate-400">{new Date(s.updatedAt).toLocaleString(lang)}</span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
