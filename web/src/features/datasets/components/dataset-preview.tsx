"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Skeleton } from "@/components/ui/skeleton";
import { cn } from "@/components/ui/cn";
import { useT } from "@/lib/i18n";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Column = RouterOutputs["datasets"]["profile"]["columns"][number];

/** The first rows with column types, and the profile (missing, distinct, range, histogram) of each column. */
export function DatasetPreview({ datasetId }: { datasetId: string }) {
  const t = useT();
  const trpc = useTRPC();
  const [tab, setTab] = useState<"rows" | "profile">("rows");
  const [sheet, setSheet] = useState<string | undefined>(undefined);
  const preview = useQuery(trpc.datasets.preview.queryOptions({ datasetId, sheet, limit: 20 }));
  const profile = useQuery(trpc.datasets.profile.queryOptions({ datasetId, sheet }, { enabled: tab === "profile" }));
  return (
    <div className="mt-2 rounded-lg border border-slate-200 bg-white p-2" data-testid="dataset-preview">
      <div className="mb-2 flex items-center gap-1 text-xs">
        {(["rows", "profile"] as const).map((k) => (
          <button key={k} type="button" onClick={() => setTab(k)} className={cn("rounded px-2 py-1 font-medium", tab === k ? "bg-slate-100 text-slate-900" : "text-slate-500 hover:text-slate-800")}>
            {t(k === "rows" ? "datasets.preview" : "datasets.profile")}
          </button>
        ))}
        {preview.data && preview.data.sheets.length > 1 && (
          <select className="ml-auto rounded bg-slate-50 px-1 py-0.5" value={sheet ?? preview.data.table} onChange={(e) => setSheet(e.target.value)} aria-label={t("datasets.sheet")}>
            {preview.data.sheets.map((s) => <option key={s}>{s}</option>)}
          </select>
        )}
      </div>
      {tab === "rows" ? (
        !preview.data ? (
          <Skeleton className="h-32 w-full" />
        ) : (
          <div className="max-h-72 overflow-auto">
            <table className="min-w-full text-[11px] tabular-nums">
              <thead className="sticky top-0 bg-white">
                <tr>
                  {preview.data.columns.map((c) => (
                    <th key={c.name} className="border-b border-slate-200 px-2 py-1 text-left align-bottom whitespace-nowrap">
                      <span className="block font-semibold text-slate-800">{c.name}</span>
                      <span className="font-mono font-normal text-slate-400">{c.type}</span>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {preview.data.rows.map((row, i) => (
                  <tr key={i} className="odd:bg-slate-50/70">
                    {row.map((v, j) => (
                      <td key={j} className="max-w-48 truncate px-2 py-0.5 whitespace-nowrap text-slate-700">{v === null ? <span className="text-slate-300">null</span> : String(v)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : !profile.data ? (
        <Skeleton className="h-32 w-full" />
      ) : (
        <div className="max-h-72 space-y-2 overflow-auto">
          <p className="text-xs text-slate-500">{t("datasets.rows", { n: profile.data.rowCount.toLocaleString() })}</p>
          {profile.data.columns.map((c) => <ColumnProfile key={c.name} column={c} rows={profile.data.rowCount} />)}
        </div>
      )}
    </div>
  );
}

function ColumnProfile({ column: c, rows }: { column: Column; rows: number }) {
  const t = useT();
  const peak = Math.max(1, ...c.histogram.map((h) => h.count));
  const fmt = (v: unknown) => (typeof v === "number" ? Number(v.toPrecision(4)).toLocaleString() : v === null ? "—" : String(v));
  return (
    <div className="rounded border border-slate-100 p-2 text-[11px]">
      <div className="flex items-baseline gap-2">
        <span className="font-semibold text-slate-800">{c.name}</span>
        <span className="font-mono text-slate-400">{c.type}</span>
        <span className="ml-auto text-slate-500">{t("datasets.missing", { pct: rows ? Math.round((c.missing / rows) * 100) : 0 })}</span>
      </div>
      <div className="mt-1 flex items-end gap-3">
        <dl className="grid flex-1 grid-cols-2 gap-x-2 text-slate-600">
          <dt>{t("datasets.distinct")}</dt><dd className="text-right">{c.distinct.toLocaleString()}</dd>
          {c.mean !== null && (<><dt>{t("datasets.mean")}</dt><dd className="text-right">{fmt(c.mean)}</dd></>)}
          {c.median !== null && (<><dt>{t("datasets.median")}</dt><dd className="text-right">{c.estimated ? "≈ " : ""}{fmt(c.median)}</dd></>)}
          <dt>{t("datasets.range")}</dt><dd className="truncate text-right">{fmt(c.min)} – {fmt(c.max)}</dd>
        </dl>
        {c.histogram.length > 0 && (
          <div className="flex h-8 w-24 items-end gap-px" aria-hidden title={c.estimated ? t("datasets.estimated") : undefined}>
            {c.histogram.map((h, i) => <div key={i} className="flex-1 bg-indigo-400" style={{ height: `${(h.count / peak) * 100}%` }} />)}
          </div>
        )}
      </div>
    </div>
  );
}
