"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toaster";
import { useT } from "@/lib/i18n";
import { type RouterOutputs, useTRPC } from "@/lib/trpc";

type Prefs = RouterOutputs["preferences"]["get"];
const LANGUAGES: Prefs["interpretationLanguage"][] = ["auto", "zh", "en"];
const THEMES: Prefs["plotTheme"][] = ["default", "seaborn-v0_8-whitegrid", "seaborn-v0_8-colorblind", "ggplot", "bmh", "grayscale", "fivethirtyeight"];

/** Analysis style: the language interpretations are written in, and the matplotlib theme of model-made plots. */
export function StyleSection() {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const prefs = useQuery(trpc.preferences.get.queryOptions());
  const save = useMutation(
    trpc.preferences.set.mutationOptions({
      onSuccess: (data) => {
        queryClient.setQueryData(trpc.preferences.get.queryKey(), data);
        toast.success(t("settings.styleSaved"));
      },
    }),
  );
  if (!prefs.data) return <Skeleton className="h-20 w-full" />;
  const current = prefs.data;
  const select = "h-9 rounded-md border border-slate-300 bg-white px-2 text-sm text-slate-700";
  return (
    <div className="grid gap-4 sm:grid-cols-2">
      <label className="grid gap-1 text-sm text-slate-600">
        {t("settings.interpretationLanguage")}
        <select
          className={select}
          value={current.interpretationLanguage}
          onChange={(e) => save.mutate({ ...current, interpretationLanguage: e.target.value as Prefs["interpretationLanguage"] })}
          data-testid="settings-interpretation-language"
        >
          {LANGUAGES.map((l) => <option key={l} value={l}>{t(`settings.interp.${l}`)}</option>)}
        </select>
      </label>
      <label className="grid gap-1 text-sm text-slate-600">
        {t("settings.plotTheme")}
        <select
          className={select}
          value={current.plotTheme}
          onChange={(e) => save.mutate({ ...current, plotTheme: e.target.value as Prefs["plotTheme"] })}
          data-testid="settings-plot-theme"
        >
          {THEMES.map((th) => <option key={th} value={th}>{th === "default" ? t("settings.themeDefault") : th}</option>)}
        </select>
      </label>
    </div>
  );
}
