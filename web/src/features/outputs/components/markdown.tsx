"use client";
import { useMemo } from "react";
import { renderMarkdown } from "../lib/markdown";

export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  return <div className="markdown px-3 py-2 text-sm" dangerouslySetInnerHTML={{ __html: html }} />;
}
