"use client";
import Editor, { type OnMount, loader } from "@monaco-editor/react";
import { useRef, useState } from "react";

// Monaco's own build, copied into public/ at build time: no CDN, the product works offline.
loader.config({ paths: { vs: "/monaco/vs" } });

const MIN_HEIGHT = 40;
const MAX_HEIGHT = 640;

export interface CodeEditorProps {
  value: string;
  onChange?: (value: string) => void;
  /** Shift+Enter, with the editor's text at that moment. */
  onRunAdvance?: (code: string) => void;
  /** Ctrl/⌘+Enter. */
  onRun?: (code: string) => void;
  readOnly?: boolean;
  autoFocus?: boolean;
  ariaLabel: string;
  placeholder?: string;
}

/** A Python editor that grows with its content, like a notebook cell. */
export function CodeEditor({ value, onChange, onRun, onRunAdvance, readOnly = false, autoFocus = false, ariaLabel }: CodeEditorProps) {
  const [height, setHeight] = useState(() => Math.max(MIN_HEIGHT, value.split("\n").length * 19 + 16));
  // Commands are bound once at mount: they read the latest handlers through a ref, assigned during render
  // (an effect could still be pending when a key arrives right after typing), and take the text from the
  // editor itself rather than from React state, which may not have caught up yet.
  const handlers = useRef({ onRun, onRunAdvance });
  handlers.current = { onRun, onRunAdvance };

  const onMount: OnMount = (editor, monaco) => {
    editor.onDidContentSizeChange((e) => setHeight(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, e.contentHeight))));
    // addAction, not addCommand: addCommand's keybindings are global, so with several editors on the page
    // Shift+Enter would run whichever editor registered last (seen here: a new cell re-ran the cell above).
    editor.addAction({
      id: "lab.runAdvance",
      label: "Run cell and advance",
      keybindings: [monaco.KeyMod.Shift | monaco.KeyCode.Enter],
      run: (ed) => handlers.current.onRunAdvance?.(ed.getValue()),
    });
    editor.addAction({
      id: "lab.run",
      label: "Run cell",
      keybindings: [monaco.KeyMod.CtrlCmd | monaco.KeyCode.Enter],
      run: (ed) => handlers.current.onRun?.(ed.getValue()),
    });
    if (autoFocus) editor.focus();
  };

  return (
    <div className="overflow-hidden" style={{ height }} data-testid="code-editor">
      <Editor
        value={value}
        language="python"
        theme="vs"
        onChange={(v) => onChange?.(v ?? "")}
        onMount={onMount}
        loading={<pre className="h-full w-full px-4 py-2 font-mono text-[13px] leading-[19px] whitespace-pre text-slate-700">{value}</pre>}
        options={{
          readOnly,
          domReadOnly: readOnly,
          ariaLabel,
          minimap: { enabled: false },
          scrollBeyondLastLine: false,
          fontSize: 13,
          lineHeight: 19,
          fontFamily: 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace',
          lineNumbersMinChars: 3,
          glyphMargin: false,
          folding: false,
          renderLineHighlight: readOnly ? "none" : "line",
          renderLineHighlightOnlyWhenFocus: true,
          overviewRulerLanes: 0,
          hideCursorInOverviewRuler: true,
          padding: { top: 8, bottom: 8 },
          scrollbar: { vertical: "auto", horizontal: "auto", alwaysConsumeMouseWheel: false, verticalScrollbarSize: 8 },
          automaticLayout: true,
          wordWrap: "off",
          tabSize: 4,
          fixedOverflowWidgets: true,
          // Without a Python language server, pop-up suggestions are only words from the cell, and an open
          // suggestion list would take Shift+Enter away from "run"; Ctrl+Space still asks for them.
          quickSuggestions: false,
          suggestOnTriggerCharacters: false,
          // Chinese punctuation in strings and comments is normal here, not a confusable to warn about.
          unicodeHighlight: { ambiguousCharacters: false, invisibleCharacters: false, nonBasicASCII: false },
        }}
      />
    </div>
  );
}
