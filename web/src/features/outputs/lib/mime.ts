/**
 * Which representation of a display_data / execute_result bundle to show, richest first — JupyterLab's
 * order, with Plotly's JSON ahead of the HTML that plotly also sends (that HTML needs the kernel's
 * JavaScript; we draw the figure with our own plotly.js instead).
 */
export const MIME_ORDER = [
  "application/vnd.plotly.v1+json",
  "text/html",
  "image/svg+xml",
  "image/png",
  "image/jpeg",
  "image/gif",
  "text/markdown",
  "text/latex",
  "application/json",
  "text/plain",
] as const;
export type RenderMime = (typeof MIME_ORDER)[number];

/** nbformat allows multi-line strings stored as arrays of lines. */
export function mimeText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join("");
  return null;
}

export function pickMime(data: Record<string, unknown>): { mime: RenderMime; value: unknown } | null {
  for (const mime of MIME_ORDER) {
    if (mime in data && data[mime] !== undefined && data[mime] !== null) return { mime, value: data[mime] };
  }
  return null;
}

/** Other representations the kernel sent that we never run (application/javascript and friends). */
export function unrenderedMimes(data: Record<string, unknown>): string[] {
  return Object.keys(data).filter((m) => !(MIME_ORDER as readonly string[]).includes(m));
}
