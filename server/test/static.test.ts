import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../src/context.js";
import { composeRoutes, staticRoutes } from "../src/http/static.js";

const INLINE = 'self.__next_f.push([1,"x"])';
let dir: string;
let server: http.Server;
let base: string;

/** Serves the routes alone; they never touch the app context. */
async function serve(routes: ReturnType<typeof staticRoutes>): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    void routes(req, res, { app: {} as AppContext, url }).then((handled) => {
      if (!handled) res.writeHead(418).end("not handled");
    });
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return s;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "lab-static-"));
  await mkdir(path.join(dir, "_next", "static", "chunks"), { recursive: true });
  await writeFile(path.join(dir, "index.html"), `<html><script src="/_next/static/chunks/a.js"></script><script>${INLINE}</script>home</html>`);
  await writeFile(path.join(dir, "workspace.html"), "<html>workspace</html>");
  await writeFile(path.join(dir, "404.html"), "<html>not found page</html>");
  await writeFile(path.join(dir, "_next", "static", "chunks", "a.js"), `console.log(${JSON.stringify("x".repeat(5000))});`);
  await writeFile(path.join(os.tmpdir(), "lab-static-secret.txt"), "secret");
  server = await serve(composeRoutes(async () => false, staticRoutes(dir)));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the web app's static routes", () => {
  it("serves pages with a CSP that allows their inline scripts by hash only", async () => {
    const res = await fetch(`${base}/`);
    const csp = res.headers.get("content-security-policy")!;
    const hash = createHash("sha256").update(INLINE).digest("base64");
    expect(res.status).toBe(200);
    expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("img-src 'self' data: blob:");
    expect(res.headers.get("cache-control")).toBe("no-cache");
  });

  it("maps clean URLs to their .html page, as the static export names them", async () => {
    expect(await (await fetch(`${base}/workspace?session=1`)).text()).toBe("<html>workspace</html>");
  });

  it("caches content-hashed assets for a year and compresses them", async () => {
    const res = await fetch(`${base}/_next/static/chunks/a.js`, { headers: { "accept-encoding": "gzip" } });
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect((await res.text()).length).toBeGreaterThan(5000);
  });

  it("never serves a file outside its folder", async () => {
    for (const p of ["/../lab-static-secret.txt", "/%2e%2e/lab-static-secret.txt", "/..%2flab-static-secret.txt", "/a%00b"]) {
      const res = await fetch(`${base}${p}`);
      expect([p, res.status, await res.text()]).toEqual([p, 404, "<html>not found page</html>"]);
    }
  });

  it("leaves /api and /trpc, and methods other than GET and HEAD, to the other routes", async () => {
    expect((await fetch(`${base}/api/x`)).status).toBe(418);
    expect((await fetch(`${base}/trpc/auth.me`)).status).toBe(418);
    expect((await fetch(`${base}/`, { method: "POST" })).status).toBe(418);
  });

  it("says how to build the app when it is not built", async () => {
    const bare = await serve(staticRoutes(path.join(dir, "missing")));
    const res = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`);
    bare.close();
    expect([res.status, await res.text()]).toEqual([503, expect.stringContaining("npm run build -w web")]);
  });
});
