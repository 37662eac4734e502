import { en, type Messages } from "./en";
import { zhCN } from "./zh-CN";

export const LANGS = ["en", "zh-CN"] as const;
export type Lang = (typeof LANGS)[number];
export type MessageKey = keyof Messages;

const DICTS: Record<Lang, Messages> = { en, "zh-CN": zhCN };
const STORAGE_KEY = "lab.lang";

/** The browser's preference, unless the person chose a language here before (remembered in localStorage). */
export function detectLang(stored: string | null, browser: readonly string[]): Lang {
  if (stored === "en" || stored === "zh-CN") return stored;
  for (const tag of browser) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** Fills `{name}` placeholders. */
export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  return format(DICTS[lang][key], vars);
}

// A module-level store (not only React state) so the global error seam can translate outside components.
let current: Lang = "en";
const listeners = new Set<() => void>();

export const langStore = {
  get: (): Lang => current,
  /** Server render and the first client render use English, so hydration matches; then the real choice. */
  getServer: (): Lang => "en",
  subscribe(fn: () => void) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  },
  init() {
    let stored: string | null = null;
    try {
      stored = window.localStorage.getItem(STORAGE_KEY);
    } catch {
      // storage disabled: fall back to the browser's language
    }
    langStore.apply(detectLang(stored, navigator.languages ?? [navigator.language]));
  },
  set(lang: Lang) {
    try {
      window.localStorage.setItem(STORAGE_KEY, lang);
    } catch {
      // not remembered, still switched
    }
    langStore.apply(lang);
  },
  apply(lang: Lang) {
    current = lang;
    document.documentElement.lang = lang;
    for (const fn of listeners) fn();
  },
};

export const t = (key: MessageKey, vars?: Record<string, string | number>) => translate(current, key, vars);
