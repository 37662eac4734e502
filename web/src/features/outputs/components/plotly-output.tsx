"use client";
import { useEffect, useRef, useState } from "react";
import { useT } from "@/lib/i18n";
import { Skeleton } from "@/components/ui/skeleton";

type Figure = { data: object[]; layout: Record<string, unknown>; frames?: object[] };

/** Plotly's JSON is data: checked for shape here, drawn by our own bundled plotly.js, never evaluated. */
export function parseFigure(value: unknown): Figure | null {
  if (typeof value !== "object" || value === null) return null;
  const { data, layout, frames } = value as Record<string, unknown>;
  if (!Array.isArray(data) || !data.every((d) => typeof d === "object" && d !== null)) return null;
  const lay = typeof layout === "object" && layout !== null ? (layout as Record<string, unknown>) : {};
  return { data: data as object[], layout: lay, frames: Array.isArray(frames) ? (frames as object[]) : undefined };
}

export function PlotlyOutput({ value }: { value: unknown }) {
  const t = useT();
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "invalid">("loading");
  useEffect(() => {
    const figure = parseFigure(value);
    if (!figure) return setState("invalid");
    const el = ref.current;
    let cancelled = false;
    // plotly.js is large: loaded the first time a figure appears, not with the workspace route.
    void import("plotly.js-dist-min").then((Plotly) => {
      if (cancelled || !el) return;
      const layout = { ...figure.layout, autosize: true, template: figure.layout.template ?? undefined };
      void Plotly.react(el, figure.data as Plotly.Data[], layout as Partial<Plotly.Layout>, { responsive: true, displaylogo: false });
      setState("ready");
    });
    return () => {
      cancelled = true;
      if (el) void import("plotly.js-dist-min").then((Plotly) => Plotly.purge(el));
    };
  }, [value]);
  if (state === "invalid") return <p className="px-3 py-2 text-sm text-red-700">{t("output.invalidPlot")}</p>;
  return (
    <div className="relative px-1 py-1" data-output="plotly">
      {state === "loading" && <Skeleton className="absolute inset-1 h-[420px]" />}
      <div ref={ref} className="min-h-[420px] w-full" />
    </div>
  );
}
