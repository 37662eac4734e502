/**
 * The document inside a sandboxed output frame. The frame has an opaque origin (no allow-same-origin) and
 * inherits the app's CSP, so hostile markup there can neither read the app's cookies or DOM, nor call the
 * API as the user, nor run inline script at all; only /frame/size.js (same origin, allowed by script-src
 * 'self') runs, to report the height. The script comes first in <head>, so content cannot swallow it.
 */
const FRAME_STYLE = `
:root { color-scheme: light; }
html, body { margin: 0; padding: 0; background: transparent; }
body { font: 13px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #0f172a; overflow-wrap: anywhere; }
table { border-collapse: collapse; border-spacing: 0; font-size: 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: right; border: none; white-space: nowrap; }
thead th { border-bottom: 1px solid #cbd5e1; font-weight: 600; vertical-align: bottom; }
tbody th { font-weight: 600; }
tbody tr:nth-child(odd) { background: #f8fafc; }
tbody tr:hover { background: #e0e7ff; }
img, svg { max-width: 100%; height: auto; }
pre { font: 12px/1.5 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
`;

export function frameDocument(body: string, origin: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8">` +
    `<script src="${origin}/frame/size.js"></script>` +
    `<style>${FRAME_STYLE}</style></head><body>${body}</body></html>`
  );
}

/**
 * <meta http-equiv> is the one way markup can act without script: `refresh` would navigate the frame
 * (to any URL, with the frame's cookies-less opaque origin, but still a request and a page swap), and the
 * rest (set-cookie, content-security-policy…) has no business in an output. Parsed inertly (DOMParser runs
 * no script and loads nothing) and dropped before the markup reaches the frame.
 */
export function withoutMetaDirectives(html: string): string {
  if (!/<meta/i.test(html)) return html;
  const doc = new DOMParser().parseFromString(html, "text/html");
  doc.querySelectorAll("meta[http-equiv]").forEach((m) => m.remove());
  return doc.head.innerHTML + doc.body.innerHTML;
}
