"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { SparkIcon } from "@/components/ui/icons";
import { Kbd } from "@/components/ui/kbd";
import { Spinner } from "@/components/ui/spinner";
import { useLang, useT } from "@/lib/i18n";
import { useTRPC } from "@/lib/trpc";

type Mode = "analysis" | "strategy";

/** What to ask, how (analysis or strategy), which models (one or several, side by side) and which template. */
export function RequestBox({ sessionId }: { sessionId: string }) {
  const t = useT();
  const lang = useLang();
  const trpc = useTRPC();
  const [request, setRequest] = useState("");
  const [mode, setMode] = useState<Mode>("analysis");
  const [chosen, setChosen] = useState<string[] | null>(null);
  const [template, setTemplate] = useState("");
  const models = useQuery(trpc.llm.analysis.models.queryOptions());
  const templates = useQuery(trpc.llm.templates.list.queryOptions());
  const start = useMutation(trpc.llm.analysis.start.mutationOptions({ onSuccess: () => setRequest("") }));
  const selected = chosen ?? (models.data ? [models.data.defaultModel] : []);
  const builtins = (templates.data?.builtin ?? []).filter((x) => x.mode === mode);
  const own = templates.data?.own ?? [];

  const toggle = (m: string) => setChosen(selected.includes(m) ? selected.filter((x) => x !== m) : [...selected, m].slice(-4));
  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    if (!request.trim() || start.isPending) return;
    const own = template.startsWith("own:") ? template.slice(4) : undefined;
    start.mutate({ sessionId, request, mode, models: selected.length ? selected : undefined, template: own ? undefined : template || undefined, templateId: own });
  };

  return (
    <form onSubmit={submit} className="rounded-xl border border-slate-200 bg-white shadow-sm" data-testid="request-box">
      <textarea
        value={request}
        onChange={(e) => setRequest(e.target.value)}
        onKeyDown={(e) => (e.ctrlKey || e.metaKey) && e.key === "Enter" && submit()}
        rows={3}
        placeholder={t(mode === "analysis" ? "ask.placeholder" : "ask.placeholderStrategy")}
        aria-label={t("ask.label")}
        data-testid="request-input"
        className="block w-full resize-y rounded-t-xl border-0 bg-transparent px-4 py-3 text-sm text-slate-900 placeholder:text-slate-400 focus:ring-0 focus:outline-none"
      />
      <div className="flex flex-wrap items-center gap-2 border-t border-slate-100 px-3 py-2">
        <div className="inline-flex rounded-md bg-slate-100 p-0.5 text-xs" role="radiogroup" aria-label={t("ask.mode")}>
          {(["analysis", "strategy"] as const).map((m) => (
            <button key={m} type="button" role="radio" aria-checked={mode === m} onClick={() => setMode(m)} data-testid={`mode-${m}`}
              className={cn("rounded px-2.5 py-1 font-medium", mode === m ? "bg-white text-slate-900 shadow-sm" : "text-slate-500 hover:text-slate-800")}>
              {t(m === "analysis" ? "ask.modeAnalysis" : "ask.modeStrategy")}
            </button>
          ))}
        </div>
        <details className="relative">
          <summary className="flex h-7 cursor-pointer list-none items-center gap-1 rounded-md px-2 text-xs text-slate-600 ring-1 ring-slate-200 hover:bg-slate-50" data-testid="model-picker">
            {t("ask.models")}: <span className="max-w-56 truncate font-medium text-slate-800">{selected.join(", ") || "—"}</span>
          </summary>
          <div className="absolute z-20 mt-1 max-h-80 w-80 overflow-auto rounded-lg border border-slate-200 bg-white p-2 shadow-lg">
            {models.data?.providers.map((p) => (
              <fieldset key={p.id} className="mb-2" disabled={!p.configured}>
                <legend className="px-1 text-[11px] font-semibold text-slate-500 uppercase">{p.label}{!p.configured && ` · ${t("ask.noKey")}`}</legend>
                {p.models.map((m) => (
                  <label key={m} className={cn("flex items-center gap-2 rounded px-1 py-0.5 text-xs", p.configured ? "text-slate-800 hover:bg-slate-50" : "text-slate-400")}>
                    <input type="checkbox" checked={selected.includes(m)} onChange={() => toggle(m)} />
                    {m}
                  </label>
                ))}
              </fieldset>
            ))}
          </div>
        </details>
        <select value={template} onChange={(e) => setTemplate(e.target.value)} aria-label={t("ask.template")} data-testid="template-picker"
          className="h-7 max-w-56 rounded-md border-0 bg-white px-2 text-xs text-slate-600 ring-1 ring-slate-200">
          <option value="">{t("ask.templateDefault")}</option>
          {builtins.map((x) => <option key={x.name} value={x.name}>{lang === "zh-CN" ? x.title.zh : x.title.en}</option>)}
          {own.map((x) => <option key={x.id} value={`own:${x.id}`}>{x.name} v{x.version}</option>)}
        </select>
        <span className="ml-auto hidden items-center gap-1 text-xs text-slate-400 md:flex"><Kbd>Ctrl/⌘</Kbd>+<Kbd>Enter</Kbd></span>
        <Button type="submit" variant="primary" size="sm" disabled={!request.trim() || start.isPending} data-testid="ask">
          {start.isPending ? <Spinner className="size-3.5" /> : <SparkIcon className="size-3.5" />} {t("ask.submit")}
        </Button>
      </div>
    </form>
  );
}
