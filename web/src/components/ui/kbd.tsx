import type { ReactNode } from "react";

export function Kbd({ children }: { children: ReactNode }) {
  return (
    <kbd className="rounded border border-slate-300 bg-slate-50 px-1.5 py-px font-mono text-[11px] text-slate-600 shadow-[0_1px_0_rgb(203_213_225)]">
      {children}
    </kbd>
  );
}
