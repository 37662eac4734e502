"use client";
import { GlobeIcon } from "@/components/ui/icons";
import { LANGS, type Lang, setLang, useLang, useT } from "@/lib/i18n";

const NAMES: Record<Lang, string> = { en: "English", "zh-CN": "中文" };

export function LanguageSwitch() {
  const lang = useLang();
  const t = useT();
  return (
    <label className="relative inline-flex items-center text-slate-600">
      <GlobeIcon className="pointer-events-none absolute left-2 size-4" />
      <span className="sr-only">{t("nav.language")}</span>
      <select
        data-testid="language-switch"
        value={lang}
        onChange={(e) => setLang(e.target.value as Lang)}
        className="h-8 appearance-none rounded-md bg-transparent pr-1 pl-7 text-sm sm:pr-2 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"
      >
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {NAMES[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
