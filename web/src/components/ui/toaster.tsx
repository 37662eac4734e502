"use client";
import { useSyncExternalStore } from "react";
import { cn } from "./cn";

export interface Toast {
  id: number;
  tone: "error" | "success" | "info";
  message: string;
}

// A tiny store, so the global error seam (outside React) can raise toasts.
let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((fn) => fn());

export function dismiss(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

function push(tone: Toast["tone"], message: string) {
  // The same message twice in a row (a retried query) stays one toast.
  if (toasts.at(-1)?.message === message) return;
  const id = nextId++;
  toasts = [...toasts.slice(-3), { id, tone, message }];
  emit();
  setTimeout(() => dismiss(id), tone === "error" ? 8000 : 4000);
}

export const toast = {
  error: (message: string) => push("error", message),
  success: (message: string) => push("success", message),
  info: (message: string) => push("info", message),
};

const EMPTY: Toast[] = [];
const TONES = {
  error: "border-red-200 bg-red-50 text-red-900",
  success: "border-emerald-200 bg-emerald-50 text-emerald-900",
  info: "border-slate-200 bg-white text-slate-900",
} as const;

export function Toaster({ closeLabel }: { closeLabel: string }) {
  const list = useSyncExternalStore(
    (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    () => toasts,
    () => EMPTY,
  );
  return (
    <div aria-live="polite" className="pointer-events-none fixed right-4 bottom-4 z-50 flex w-96 max-w-[calc(100vw-2rem)] flex-col gap-2">
      {list.map((t) => (
        <div
          key={t.id}
          role={t.tone === "error" ? "alert" : "status"}
          data-toast={t.tone}
          className={cn("pointer-events-auto flex items-start gap-3 rounded-lg border px-4 py-3 text-sm shadow-lg", TONES[t.tone])}
        >
          <p className="flex-1 break-words">{t.message}</p>
          <button type="button" aria-label={closeLabel} onClick={() => dismiss(t.id)} className="text-current/60 hover:text-current">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
