"use client";
import { forwardRef, useImperativeHandle, useState } from "react";
import { Button } from "@/components/ui/button";
import { Kbd } from "@/components/ui/kbd";
import { PlayIcon } from "@/components/ui/icons";
import { useT } from "@/lib/i18n";
import { CodeEditor } from "./code-editor";

export interface NewCellHandle {
  focus(): void;
}

/** The empty cell at the bottom: write code, Shift+Enter, and it joins the notebook above. */
export const NewCell = forwardRef<NewCellHandle, { onRun: (code: string) => Promise<unknown>; pending: boolean }>(function NewCell(
  { onRun, pending },
  ref,
) {
  const t = useT();
  const [code, setCode] = useState("");
  const [focusKey, setFocusKey] = useState(0);
  useImperativeHandle(ref, () => ({ focus: () => setFocusKey((k) => k + 1) }), []);
  const run = async (text: string) => {
    if (!text.trim() || pending) return;
    await onRun(text);
    setCode("");
  };
  return (
    <section className="rounded-lg border border-dashed border-slate-300 bg-white/70 shadow-sm" data-testid="new-cell">
      <header className="flex items-center gap-2 border-b border-slate-100 px-3 py-1.5">
        <span className="w-12 font-mono text-xs text-slate-400">[ ]</span>
        <span className="text-xs text-slate-500">{t("cell.newHint")}</span>
        <span className="ml-auto hidden items-center gap-1 text-xs text-slate-400 sm:flex">
          <Kbd>Shift</Kbd>+<Kbd>Enter</Kbd>
        </span>
        <Button size="sm" variant="primary" onClick={() => void run(code)} disabled={!code.trim() || pending} data-testid="new-cell-run">
          <PlayIcon className="size-3.5" /> {t("cell.run")}
        </Button>
      </header>
      <CodeEditor
        key={focusKey}
        value={code}
        onChange={setCode}
        ariaLabel={t("cell.newEditorLabel")}
        autoFocus={focusKey > 0}
        onRun={(text) => void run(text)}
        onRunAdvance={(text) => void run(text)}
      />
    </section>
  );
});
