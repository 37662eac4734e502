"use client";
import { useQuery } from "@tanstack/react-query";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/skeleton";
import { useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";
import { dailyTotals } from "../lib/usage";

const COLORS = ["bg-indigo-500", "bg-sky-400", "bg-emerald-400", "bg-amber-400", "bg-rose-400", "bg-violet-400"];

/** Tokens per model and day (last 30 days): a stacked bar per day, and the table. */
export function UsageSection() {
  const t = useT();
  const trpc = useTRPC();
  const usage = useQuery(trpc.llm.usage.mine.queryOptions({ days: 30 }));
  if (!usage.data) return <Skeleton className="h-40 w-full" />;
  if (usage.data.length === 0) return <EmptyState title={t("settings.noUsage")} body={t("settings.noUsageBody")} />;
  const { days, models, peak } = dailyTotals(usage.data);
  return (
    <div className="space-y-4">
      {peak > 1 && (<>
      <div className="flex h-40 items-end gap-1 rounded-lg border border-slate-200 bg-white p-3" role="img" aria-label={t("settings.usageChart")}>
        {days.map((d) => (
          <div key={d.day} className="flex h-full flex-1 flex-col-reverse" title={`${d.day}: ${d.total.toLocaleString()}`}>
            {models.map((m, i) => (d.byModel[m] ? <div key={m} className={COLORS[i % COLORS.length]} style={{ height: `${(d.byModel[m] / peak) * 100}%` }} /> : null))}
          </div>
        ))}
      </div>
      <div className="flex flex-wrap gap-3 text-xs text-slate-600">
        {models.map((m, i) => <span key={m} className="flex items-center gap-1"><span className={`size-2.5 rounded-sm ${COLORS[i % COLORS.length]}`} />{m}</span>)}
      </div>
      </>)}
      <table className="w-full text-left text-xs tabular-nums">
        <thead className="text-slate-500"><tr><th className="py-1">{t("settings.day")}</th><th>{t("settings.model")}</th><th className="text-right">{t("settings.requests")}</th><th className="text-right">{t("settings.tokensIn")}</th><th className="text-right">{t("settings.tokensOut")}</th><th className="text-right">{t("settings.cost")}</th></tr></thead>
        <tbody className="divide-y divide-slate-100 text-slate-800">
          {usage.data.map((r) => (
            <tr key={`${r.day}-${r.model}`}><td className="py-1">{r.day}</td><td className="font-mono">{r.model}</td><td className="text-right">{r.requests}</td><td className="text-right">{r.tokensIn.toLocaleString()}</td><td className="text-right">{r.tokensOut.toLocaleString()}</td><td className="text-right">${r.estimatedCostUsd.toFixed(4)}</td></tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
