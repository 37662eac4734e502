import type { TOutput } from "../kernel/outputs.js";

const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Outputs as terminal text: what a person reading a CI log or a shell wants to see. */
export function outputText(o: TOutput, color: boolean): string {
  const strip = (s: string) => (color ? s : s.replace(ANSI, ""));
  switch (o.output_type) {
    case "stream":
      return strip(o.text);
    case "error":
      return `${strip(o.traceback.join("\n")) || `${o.ename}: ${o.evalue}`}\n`;
    case "display_data":
    case "execute_result": {
      const rich = Object.keys(o.data).filter((m) => m !== "text/plain");
      const plain = typeof o.data["text/plain"] === "string" ? o.data["text/plain"] : "";
      const note = rich.length ? `[${rich.join(", ")}]` : "";
      return `${[plain, note].filter(Boolean).join("\n")}\n`;
    }
  }
}
