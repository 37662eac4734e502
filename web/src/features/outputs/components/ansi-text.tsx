"use client";
import { AnsiUp } from "ansi_up";
import { useMemo } from "react";
import { cn } from "@/components/ui/cn";

/** Stream text and tracebacks with their ANSI colours; ansi_up escapes the text itself (no HTML gets through). */
export function AnsiText({ text, tone = "plain" }: { text: string; tone?: "plain" | "stderr" | "error" }) {
  const html = useMemo(() => {
    const au = new AnsiUp();
    au.use_classes = true;
    au.escape_html = true;
    return au.ansi_to_html(text);
  }, [text]);
  return (
    <pre
      className={cn(
        "ansi overflow-x-auto px-3 py-1.5 font-mono text-[12.5px] leading-relaxed whitespace-pre-wrap break-words",
        tone === "stderr" && "bg-amber-50/70 text-amber-950",
        tone === "error" && "bg-red-50/70 text-slate-900",
      )}
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
