"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Skeleton } from "@/components/ui/skeleton";
import { toast } from "@/components/ui/toaster";
import { useT } from "@/lib/i18n";
import { type RouterInputs, type RouterOutputs, useTRPC } from "@/lib/trpc";

type Provider = RouterOutputs["llm"]["analysis"]["models"]["providers"][number];
type Credential = RouterOutputs["llm"]["credentials"]["list"][number];
type ProviderId = RouterInputs["llm"]["credentials"]["set"]["provider"];

/** Provider keys are write-only: the page only ever learns whether one is set. */
export function ProvidersSection() {
  const trpc = useTRPC();
  const models = useQuery(trpc.llm.analysis.models.queryOptions());
  const creds = useQuery(trpc.llm.credentials.list.queryOptions());
  if (!models.data || !creds.data) return <Skeleton className="h-40 w-full" />;
  return (
    <div className="space-y-3">
      {models.data.providers.map((p) => (
        <ProviderRow key={p.id} provider={p} credential={creds.data.find((c) => c.provider === p.id)} />
      ))}
    </div>
  );
}

function ProviderRow({ provider, credential }: { provider: Provider; credential: Credential | undefined }) {
  const t = useT();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [apiKey, setApiKey] = useState("");
  const [baseUrl, setBaseUrl] = useState(credential?.baseUrl ?? "");
  const [defaults, setDefaults] = useState((credential?.defaultModels ?? []).join(", "));
  const refresh = () => queryClient.invalidateQueries(trpc.llm.pathFilter());
  const save = useMutation(trpc.llm.credentials.set.mutationOptions({ onSuccess: () => { setApiKey(""); toast.success(t("settings.saved")); void refresh(); } }));
  const remove = useMutation(trpc.llm.credentials.delete.mutationOptions({ onSuccess: () => { toast.success(t("settings.removed")); void refresh(); } }));
  const id = provider.id as ProviderId;
  const keyless = provider.id === "offline";
  // Twelve providers are a long page: only those in use start open.
  const [open, setOpen] = useState(Boolean(credential));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const defaultModels = defaults.split(",").map((s) => s.trim()).filter(Boolean);
    save.mutate({ provider: id, apiKey: apiKey.trim() || undefined, baseUrl: baseUrl.trim(), defaultModels });
  };
  return (
    <form onSubmit={submit} className="rounded-lg border border-slate-200 bg-white px-4 py-3" data-testid={`provider-${provider.id}`}>
      <div className="flex items-center gap-2">
        <h3 className="text-sm font-semibold text-slate-900">{provider.label}</h3>
        {!keyless && (
          <Badge tone={credential?.hasKey ? "green" : "gray"}>{t(credential?.hasKey ? "settings.keySet" : "settings.keyUnset")}</Badge>
        )}
        {provider.configured && <Badge tone="blue">{t("settings.usable")}</Badge>}
        {!open && (
          <Button size="sm" variant="ghost" className="ml-auto" onClick={() => setOpen(true)} data-testid="provider-open">
            {t(keyless ? "settings.edit" : "settings.addKey")}
          </Button>
        )}
      </div>
      {open && (
      <>
      <div className="mt-3 grid gap-3 md:grid-cols-2">
        {!keyless && (
          <label className="text-xs text-slate-600">
            {t("settings.apiKey")}
            <Input type="password" autoComplete="off" value={apiKey} onChange={(e) => setApiKey(e.target.value)} placeholder={t(credential?.hasKey ? "settings.keyReplace" : "settings.keyEnter")} className="mt-1" />
          </label>
        )}
        {!keyless && (
          <label className="text-xs text-slate-600">
            {t("settings.baseUrl")}
            <Input value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://…" className="mt-1" />
          </label>
        )}
        <label className="text-xs text-slate-600 md:col-span-2">
          {t("settings.defaultModels")}
          <Input value={defaults} onChange={(e) => setDefaults(e.target.value)} placeholder={provider.models.map((m) => m.split(":").slice(1).join(":")).slice(0, 2).join(", ")} className="mt-1" />
        </label>
      </div>
      <div className="mt-3 flex gap-2">
        <Button type="submit" size="sm" variant="primary" disabled={save.isPending}>{t("common.save")}</Button>
        {credential && (
          <Button size="sm" variant="danger" onClick={() => remove.mutate({ provider: id })} disabled={remove.isPending}>{t("settings.removeKey")}</Button>
        )}
      </div>
      </>
      )}
    </form>
  );
}
