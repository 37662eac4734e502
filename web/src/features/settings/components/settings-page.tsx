"use client";
import type { ReactNode } from "react";
import { Kbd } from "@/components/ui/kbd";
import { Skeleton } from "@/components/ui/skeleton";
import { useMe } from "@/features/auth/hooks/use-me";
import { LANGS, type Lang, setLang, useLang, useT } from "@/lib/i18n";
import { ProvidersSection } from "./providers-section";
import { StyleSection } from "./style-section";
import { TemplatesSection } from "./templates-section";
import { UsageSection } from "./usage-section";

const LANG_NAMES: Record<Lang, string> = { en: "English", "zh-CN": "简体中文" };

function Section({ title, lead, children }: { title: string; lead: string; children: ReactNode }) {
  return (
    <section className="grid gap-4 border-b border-slate-200 py-8 md:grid-cols-3">
      <div>
        <h2 className="text-base font-semibold text-slate-900">{title}</h2>
        <p className="mt-1 text-sm text-slate-500">{lead}</p>
      </div>
      <div className="md:col-span-2">{children}</div>
    </section>
  );
}

export function SettingsPage() {
  const t = useT();
  const lang = useLang();
  const me = useMe();
  return (
    <div className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{t("settings.title")}</h1>
      <Section title={t("settings.language")} lead={t("settings.languageLead")}>
        <div className="flex gap-2" role="radiogroup" aria-label={t("settings.language")}>
          {LANGS.map((l) => (
            <button
              key={l}
              type="button"
              role="radio"
              aria-checked={lang === l}
              onClick={() => setLang(l)}
              data-testid={`settings-lang-${l}`}
              className={`rounded-lg border px-4 py-2 text-sm font-medium ${lang === l ? "border-indigo-600 bg-indigo-50 text-indigo-700" : "border-slate-200 bg-white text-slate-700 hover:bg-slate-50"}`}
            >
              {LANG_NAMES[l]}
            </button>
          ))}
        </div>
      </Section>
      <Section title={t("settings.style")} lead={t("settings.styleLead")}>
        <StyleSection />
      </Section>
      <Section title={t("settings.providers")} lead={t("settings.providersLead")}>
        <ProvidersSection />
      </Section>
      <Section title={t("settings.templates")} lead={t("settings.templatesLead")}>
        <TemplatesSection />
      </Section>
      <Section title={t("settings.usage")} lead={t("settings.usageLead")}>
        <UsageSection />
      </Section>
      <Section title={t("settings.account")} lead={t("settings.accountLead")}>
        {me.data ? (
          <dl className="grid grid-cols-[8rem_1fr] gap-y-2 text-sm">
            <dt className="text-slate-500">{t("auth.email")}</dt>
            <dd className="text-slate-900">{me.data.email}</dd>
            <dt className="text-slate-500">{t("auth.displayName")}</dt>
            <dd className="text-slate-900">{me.data.displayName ?? "—"}</dd>
            <dt className="text-slate-500">{t("settings.memberSince")}</dt>
            <dd className="text-slate-900">{new Date(me.data.createdAt).toLocaleDateString(lang)}</dd>
          </dl>
        ) : (
          <Skeleton className="h-16 w-80" />
        )}
      </Section>
      <Section title={t("settings.shortcuts")} lead={t("settings.shortcutsLead")}>
        <ul className="space-y-2 text-sm text-slate-700">
          <li><Kbd>Shift</Kbd> + <Kbd>Enter</Kbd> — {t("shortcuts.runAdvance")}</li>
          <li><Kbd>Ctrl/⌘</Kbd> + <Kbd>Enter</Kbd> — {t("shortcuts.run")}</li>
          <li><Kbd>Esc</Kbd> — {t("shortcuts.cancelRename")}</li>
        </ul>
      </Section>
    </div>
  );
}
