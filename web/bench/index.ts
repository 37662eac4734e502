import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { launchBrowser } from "../e2e/helpers/browser";
import { WEB_OUT, startLabServer } from "../e2e/helpers/lab";

/**
 * `npm run bench -w web` (part of the root `npm run bench`): the workspace route's JavaScript and its time
 * to interactive on the production build, each beside a baseline measured in the same run (the sign-in
 * page), since only ratios travel between machines. Prints a table, writes bench/results/latest.json.
 */
const LOADS = 7;
const RESULTS = path.join(import.meta.dirname, "results", "latest.json");
const say = (line: string) => process.stderr.write(`bench(web): ${line}\n`);

/** The scripts a page loads before it can run (its <script src> and script preloads), raw and gzipped. */
async function initialJs(page: string) {
  const html = await readFile(path.join(WEB_OUT, `${page}.html`), "utf8");
  const srcs = new Set([...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*as="script"[^>]*href="([^"]+)"/g)].map((m) => m[1]!));
  let raw = 0;
  let gz = 0;
  for (const src of srcs) {
    const body = await readFile(path.join(WEB_OUT, src));
    raw += body.length;
    gz += gzipSync(body).length;
  }
  return { files: srcs.size, raw, gzip: gz };
}

async function fileKb(rel: string) {
  const body = await readFile(path.join(WEB_OUT, rel));
  return { raw: body.length, gzip: gzipSync(body).length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

async function main() {
  const sizes = { workspace: await initialJs("workspace"), signin: await initialJs("signin") };
  const lazy = { monacoGzip: 0, monacoFiles: 0, plotly: { raw: 0, gzip: 0 } };
  const plotlyChunk = await findPlotlyChunk();
  if (plotlyChunk) lazy.plotly = await fileKb(plotlyChunk);

  say("starting the lab (embedded gateway, PGlite, production web build)…");
  const lab = await startLabServer();
  const browser = await launchBrowser();
  try {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await page.goto(`${lab.origin}/signup`);
    await page.fill("#email", `bench-${Date.now()}@example.org`);
    await page.fill("#password", "a sturdy passphrase 42");
    await page.click("button[type=submit]");
    await page.waitForURL("**/history");
    await page.goto(`${lab.origin}/workspace`);
    await page.getByTestId("new-session").click();
    await page.waitForURL(/session=/);
    const workspaceUrl = page.url();

    // Time to interactive: navigation start → the thing a person came for can be used (hydrated, data
    // loaded; for the workspace, the code editor mounted and the event stream open).
    const tti = { workspace: [] as number[], signin: [] as number[] };
    say(`time to interactive, ${LOADS} loads each (warm HTTP cache, as on a daily visit)…`);
    for (let i = 0; i < LOADS; i++) {
      await page.goto(workspaceUrl);
      await page.getByTestId("new-cell").locator(".monaco-editor").waitFor();
      tti.workspace.push(await page.evaluate(() => performance.now()));
      if (i === 0) {
        // What Monaco really fetched (its AMD build splits into many files), as sent: gzip bytes on the wire.
        const monaco = await page.evaluate(() =>
          performance.getEntriesByType("resource").filter((e) => e.name.includes("/monaco/")).map((e) => (e as PerformanceResourceTiming).encodedBodySize),
        );
        lazy.monacoFiles = monaco.length;
        lazy.monacoGzip = monaco.reduce((a, b) => a + b, 0);
      }
      await page.goto(`${lab.origin}/signin`);
      await page.locator("#email").waitFor();
      await page.waitForFunction(() => document.querySelector("#email") && Object.keys(document.querySelector("#email")!).some((k) => k.startsWith("__react")));
      tti.signin.push(await page.evaluate(() => performance.now()));
    }
    const result = {
      at: new Date().toISOString(),
      initialJs: sizes,
      lazyLoaded: lazy,
      ttiMs: { workspace: median(tti.workspace), signin: median(tti.signin), samples: tti },
      ratios: { jsGzipWorkspaceVsSignin: sizes.workspace.gzip / sizes.signin.gzip, ttiWorkspaceVsSignin: median(tti.workspace) / median(tti.signin) },
    };
    await mkdir(path.dirname(RESULTS), { recursive: true });
    await writeFile(RESULTS, JSON.stringify(result, null, 1));
    console.log("\nWeb app (production build)                 workspace      sign-in (baseline)   ratio");
    console.log(`initial JS, gzip (files)                   ${kb(sizes.workspace.gzip).padEnd(8)} (${sizes.workspace.files})   ${kb(sizes.signin.gzip).padEnd(8)} (${sizes.signin.files})        ${result.ratios.jsGzipWorkspaceVsSignin.toFixed(2)}×`);
    console.log(`initial JS, raw                            ${kb(sizes.workspace.raw).padEnd(14)} ${kb(sizes.signin.raw)}`);
    console.log(`time to interactive, median of ${LOADS}          ${`${result.ttiMs.workspace.toFixed(0)} ms`.padEnd(14)} ${`${result.ttiMs.signin.toFixed(0)} ms`.padEnd(20)} ${result.ratios.ttiWorkspaceVsSignin.toFixed(2)}×`);
    console.log(`loaded on demand: Monaco ${kb(lazy.monacoGzip)} gzip in ${lazy.monacoFiles} files, plotly.js ${kb(lazy.plotly.gzip)} gzip (first figure only)`);
    console.log(`results: ${path.relative(process.cwd(), RESULTS)}`);
  } finally {
    await browser.close();
    await lab.close();
  }
}

/** The chunk that carries plotly.js (loaded by import() when a figure first appears). */
async function findPlotlyChunk(): Promise<string | null> {
  const { readdir } = await import("node:fs/promises");
  const dir = path.join(WEB_OUT, "_next", "static", "chunks");
  let best: { file: string; size: number } | null = null;
  for (const f of await readdir(dir)) {
    if (!f.endsWith(".js")) continue;
    const s = (await stat(path.join(dir, f))).size;
    if (s > 1_000_000 && (await readFile(path.join(dir, f), "utf8")).includes("plotly")) {
      if (!best || s > best.size) best = { file: f, size: s };
    }
  }
  return best ? path.join("_next", "static", "chunks", best.file) : null;
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error("bench(web) failed:", err);
    process.exit(0); // a bench is a report, not a test
  },
);
