"use client";
import { memo, useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { PlayIcon, StopIcon } from "@/components/ui/icons";
import { OutputArea } from "@/features/outputs/components/output-area";
import type { Cell } from "@/features/outputs/lib/types";
import { useT } from "@/lib/i18n";
import { CellStatus } from "./cell-status";
import { CodeEditor } from "./code-editor";

export interface CellViewProps {
  cell: Cell;
  readOnly: boolean;
  onRun: (cell: Cell, code: string, advance: boolean) => void;
  onInterrupt: () => void;
}

/** One notebook cell: prompt, code (editable, re-runnable in place), state, outputs. */
export const CellView = memo(function CellView({ cell, readOnly, onRun, onInterrupt }: CellViewProps) {
  const t = useT();
  // The draft follows the cell while it is not being edited; a re-run (even from elsewhere) resets it.
  const [draft, setDraft] = useState(cell.code);
  const [seen, setSeen] = useState(cell.code);
  if (cell.code !== seen) {
    setSeen(cell.code);
    setDraft(cell.code);
  }
  const busy = cell.status === "running" || cell.status === "queued";
  const edited = draft !== cell.code;
  const prompt = busy ? "*" : (cell.executionCount ?? " ");

  return (
    <section
      data-testid="cell"
      data-cell-id={cell.id}
      data-cell-status={cell.status}
      className={cn(
        "group rounded-lg border bg-white shadow-sm transition-colors",
        cell.status === "error" ? "border-red-200" : busy ? "border-sky-300" : "border-slate-200",
      )}
    >
      <header className="flex items-center gap-2 border-b border-slate-100 px-3 py-1.5">
        <span className="w-12 font-mono text-xs text-slate-400" aria-label={t("cell.prompt")}>[{prompt}]</span>
        {cell.source === "model" && <span className="text-xs text-violet-600">{t("cell.byModel")}</span>}
        <CellStatus cell={cell} />
        {edited && <span className="text-xs text-amber-700">{t("cell.edited")}</span>}
        {!readOnly && (
          <div className="ml-auto flex items-center gap-1">
            {busy ? (
              <Button size="sm" variant="ghost" onClick={onInterrupt} data-testid="cell-interrupt">
                <StopIcon className="size-3.5" /> {t("cell.interrupt")}
              </Button>
            ) : (
              <Button size="sm" variant="ghost" onClick={() => onRun(cell, draft, false)} data-testid="cell-run" title="Ctrl/⌘+Enter">
                <PlayIcon className="size-3.5" /> {t(cell.status === "ok" || cell.status === "error" ? "cell.rerun" : "cell.run")}
              </Button>
            )}
          </div>
        )}
      </header>
      <CodeEditor
        value={draft}
        onChange={setDraft}
        readOnly={readOnly}
        ariaLabel={t("cell.editorLabel")}
        onRun={(code) => !busy && onRun(cell, code, false)}
        onRunAdvance={(code) => !busy && onRun(cell, code, true)}
      />
      {(cell.outputs.length > 0 || cell.error) && (
        <div className="border-t border-slate-100">
          <OutputArea outputs={cell.outputs} />
          {cell.error && !cell.outputs.some((o) => o.output_type === "error") && (
            <p className="px-3 py-2 text-sm text-red-700" role="alert">{cell.error}</p>
          )}
        </div>
      )}
    </section>
  );
});
