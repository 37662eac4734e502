"use client";
import { useCallback, useEffect, useSyncExternalStore } from "react";
import { type Lang, type MessageKey, langStore, translate } from "./store";

export { LANGS, type Lang, type MessageKey } from "./store";

export function useLang(): Lang {
  return useSyncExternalStore(langStore.subscribe, langStore.get, langStore.getServer);
}

/** `const t = useT(); t("home.title")` — re-renders when the language changes. */
export function useT() {
  const lang = useLang();
  return useCallback((key: MessageKey, vars?: Record<string, string | number>) => translate(lang, key, vars), [lang]);
}

/** Reads the stored or browser language once, after hydration. */
export function LanguageInit() {
  useEffect(() => langStore.init(), []);
  return null;
}

export const setLang = (lang: Lang) => langStore.set(lang);
