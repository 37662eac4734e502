import type { TOutput } from "../kernel/outputs.js";

const FENCE = /(^|\n)[ \t]*(```+|~~~+)[ \t]*([\w+-]*)[^\n]*\n([\s\S]*?)(?:\n[ \t]*\2[ \t]*(?=\n|$)|$)/g;
const PYTHON = new Set(["python", "py", "python3", "ipython", "ipython3", "jupyter", ""]);

/**
 * The code in a model's answer: every fenced Python block (or unlabelled one), joined in order; an answer
 * cut off inside a fence keeps what it has; an answer that is nothing but code is taken whole. Blocks in
 * other languages (a `bash` pip install, a JSON sample) are not run. Null when there is no code.
 */
export function extractCode(answer: string): string | null {
  const blocks: string[] = [];
  for (const m of answer.matchAll(FENCE)) {
    const lang = m[3]!.toLowerCase();
    if (PYTHON.has(lang) && m[4]!.trim()) blocks.push(m[4]!.replace(/\s+$/, ""));
  }
  if (blocks.length) return `${blocks.join("\n\n")}\n`;
  const bare = answer.trim();
  if (!/```|~~~/.test(bare) && looksLikePython(bare)) return `${bare}\n`;
  return null;
}

function looksLikePython(text: string): boolean {
  const lines = text.split("\n").filter((l) => l.trim());
  if (lines.length === 0) return false;
  const codey = lines.filter((l) => /^(\s|#|import |from \S+ import |def |class |for |if |with |print\(|[\w.[\]'"]+\s*=|[\w.]+\()/.test(l));
  return /^(import |from |#|df\b|[\w.]+\s*=)/.test(lines[0]!) && codey.length / lines.length >= 0.8;
}

/**
 * Outputs as text for the interpretation prompt, bounded: printed text, table heads (text/plain reprs),
 * figures by their title and axes (the kernel's figure formatter, analysis-context.ts), plotly layouts, errors.
 */
export function summariseOutputs(outputs: TOutput[], maxChars: number): string {
  const parts: string[] = [];
  for (const o of outputs) {
    switch (o.output_type) {
      case "stream":
        parts.push(o.text.length > 3000 ? `${o.text.slice(0, 3000)}… [cut]` : o.text);
        break;
      case "error":
        parts.push(`Error: ${o.ename}: ${o.evalue}`);
        break;
      case "display_data":
      case "execute_result": {
        const d = o.data;
        const plain = typeof d["text/plain"] === "string" ? d["text/plain"] : "";
        if (d["application/vnd.plotly.v1+json"]) parts.push(plotlyText(d["application/vnd.plotly.v1+json"]));
        else if (d["image/png"] || d["image/svg+xml"]) parts.push(plain.startsWith("<Figure:") ? plain : "[a figure without a title]");
        else if (typeof d["text/markdown"] === "string") parts.push(d["text/markdown"].slice(0, 3000));
        else if (plain) parts.push(plain.split("\n").slice(0, 25).join("\n"));
        break;
      }
    }
  }
  const text = parts.join("\n").trim();
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n… [outputs cut to ${maxChars} characters]` : text || "(no output)";
}

function plotlyText(fig: unknown): string {
  const layout = fig && typeof fig === "object" ? (Reflect.get(fig, "layout") as Record<string, unknown> | undefined) : undefined;
  const title = (v: unknown): string => {
    if (typeof v === "string") return v;
    const t = v && typeof v === "object" ? Reflect.get(v, "title") : undefined;
    if (typeof t === "string") return t;
    const text = t && typeof t === "object" ? Reflect.get(t, "text") : undefined;
    return typeof text === "string" ? text : "";
  };
  return `<Plotly figure: title ${JSON.stringify(title(layout))}; x ${JSON.stringify(title(layout?.xaxis))}; y ${JSON.stringify(title(layout?.yaxis))}>`;
}
