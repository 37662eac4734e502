import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestBrowser, launchBrowser } from "./helpers/browser";
import { type LabServer, REPO_ROOT, WEB_OUT, startLabServer } from "./helpers/lab";
import { ARTIFACTS, finishedCell, newSession, runNewCell, shot, signIn, signUp } from "./helpers/pages";

/**
 * The product in a real Chromium against the real server (embedded Enterprise Gateway, sandboxed kernels,
 * PGlite, the production build of the web app), as a researcher uses it.
 */
let lab: LabServer;
let browser: TestBrowser;
const password = "a sturdy passphrase 42";
const alice = { email: `alice-${Date.now()}@example.org`, sessionId: "", title: "" };

beforeAll(async () => {
  if (!existsSync(path.join(WEB_OUT, "index.html"))) {
    throw new Error("web/out is not built: run `npm test` from the root (it builds it), or `npm run build -w web`");
  }
  lab = await startLabServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await lab?.close();
});

/**
 * Uncaught page errors and CSP refusals fail the flow (a broken page must not pass because the selector still
 * matched, and the app's own code must live within its CSP).
 */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text()) && errors.push(m.text()));
  return errors;
}

async function chineseCsv(): Promise<string> {
  const src = await readFile(path.join(REPO_ROOT, "notebooks", "data", "diabetes.csv"), "utf8");
  const [, ...rows] = src.trim().split("\n");
  const file = path.join(os.tmpdir(), `糖尿病-${Date.now()}.csv`);
  await writeFile(file, ["年龄,性别,体重指数,血压,病情进展", ...rows].join("\n"));
  return file;
}

describe("a researcher's day in the browser", () => {
  it("signs up, uploads a CSV with Chinese columns, asks for a correlation plot, edits and re-runs, downloads the .ipynb, signs out and in, finds the session", async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    const errors = watchErrors(page);

    await page.goto(`${lab.origin}/`);
    await expect(page.getByTestId("home-title").textContent()).resolves.toContain("Ask your data");
    await shot(page, "01-home");
    await page.goto(`${lab.origin}/signup`);
    await shot(page, "02-signup");
    await signUp(page, lab.origin, alice.email, password);
    await shot(page, "03-history-empty");

    await page.goto(`${lab.origin}/workspace`);
    await page.getByTestId("new-session").waitFor();
    await shot(page, "03b-workspace-start");
    alice.sessionId = await newSession(page, lab.origin);
    await shot(page, "04-workspace-empty");

    // Upload: the file input behind the Upload button; then the preview shows the Chinese header and types.
    await page.getByTestId("dataset-file").setInputFiles(await chineseCsv());
    await page.getByTestId("dataset-item").waitFor({ timeout: 60_000 });
    await page.getByTestId("dataset-item").click();
    const preview = page.getByTestId("dataset-preview");
    await preview.locator("th", { hasText: "体重指数" }).waitFor();
    expect(await preview.locator("tbody tr").count()).toBeGreaterThan(5);

    // Ask the offline model (the default) for a correlation plot.
    await page.getByTestId("request-input").fill("画出体重指数和病情进展的相关性图 correlation plot");
    await page.getByTestId("ask").click();
    const task = page.getByTestId("task");
    await task.locator("xpath=self::*[@data-task-status='ok' or @data-task-status='error']").waitFor({ timeout: 120_000 });
    expect(await task.getAttribute("data-task-status")).toBe("ok");
    const plot = task.locator("[data-output=image], [data-output=plotly]").first();
    await plot.waitFor();
    expect(await plot.isVisible()).toBe(true);
    await expect(task.getByTestId("interpretation").textContent()).resolves.toMatch(/\S{10,}/);
    await shot(page, "05-workspace-task");

    // Edit the model's code in place (Monaco) and re-run the same cell.
    const cell = task.getByTestId("cell").last();
    const cellId = await cell.getAttribute("data-cell-id");
    await cell.locator(".monaco-editor").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.insertText("\nprint('edited-and-rerun')");
    await cell.getByTestId("cell-run").click();
    await page.locator(`[data-cell-id="${cellId}"][data-cell-status=ok]`).getByTestId("outputs").getByText("edited-and-rerun").waitFor({ timeout: 90_000 });

    // Download the notebook: the edited code is in it.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-ipynb").click()]);
    const nb = JSON.parse(await readFile((await download.path())!, "utf8")) as { nbformat: number; cells: { source: string | string[] }[] };
    expect(nb.nbformat).toBe(4);
    expect(nb.cells.map((c) => [c.source].flat().join("")).join("\n")).toContain("print('edited-and-rerun')");

    alice.title = (await page.getByTestId("session-title").textContent())!.trim();
    await page.getByTestId("sign-out").click();
    await page.waitForURL("**/signin");
    // A wrong password: the form shows the server's own message.
    await page.fill("#email", alice.email);
    await page.fill("#password", "not the password");
    await page.click("button[type=submit]");
    await page.getByRole("alert").getByText("Invalid email or password").waitFor();
    await shot(page, "06-signin");
    await signIn(page, lab.origin, alice.email, password);
    await page.getByTestId("history-search").fill(alice.title.slice(0, 12));
    await page.getByTestId("history-item").filter({ hasText: alice.title }).waitFor();
    await shot(page, "07-history");
    await page.getByTestId("history-open-readonly").first().click();
    await page.getByTestId("continue").waitFor();
    expect(await page.getByTestId("new-cell").count()).toBe(0);
    await page.getByTestId("task").locator("[data-output=image], [data-output=plotly]").first().waitFor();
    await shot(page, "08-workspace-readonly");
    await page.goto(`${lab.origin}/settings`);
    // A provider key is write-only: after saving, the page says "key set" and never shows the key.
    const openai = page.getByTestId("provider-openai");
    await openai.getByTestId("provider-open").click();
    await openai.locator("input[type=password]").fill("sk-test-e2e-secret-4242");
    await openai.getByRole("button", { name: "Save" }).click();
    await openai.getByText("key set").waitFor();
    await page.reload();
    await page.getByTestId("provider-openai").getByText("key set").waitFor();
    expect(await page.content()).not.toContain("sk-test-e2e-secret-4242");
    // Analysis style is kept on the server: it survives a reload.
    await page.getByTestId("settings-plot-theme").selectOption("ggplot");
    await page.getByText("Analysis style saved").waitFor();
    await page.reload();
    await page.waitForFunction(() => (document.querySelector("[data-testid=settings-plot-theme]") as HTMLSelectElement | null)?.value === "ggplot");
    await shot(page, "09-settings");
    await page.goto(`${lab.origin}/no-such-page`);
    await shot(page, "10-not-found");
    expect(errors).toEqual([]);
    await ctx.close();
  });

  it("shows a second user nothing of the first user's session", async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await signUp(page, lab.origin, `bob-${Date.now()}@example.org`, password);
    expect(await page.getByTestId("history-item").count()).toBe(0);
    await page.goto(`${lab.origin}/workspace?session=${alice.sessionId}`);
    await page.getByText("Analysis not found").waitFor();
    const status = await page.evaluate(async (id) => {
      const input = encodeURIComponent(JSON.stringify({ sessionId: id }));
      return (await fetch(`/trpc/sessions.get?input=${input}`)).status;
    }, alice.sessionId);
    expect(status).toBe(404);
    const ipynb = await page.evaluate(async (id) => (await fetch(`/api/sessions/${id}/notebook.ipynb`)).status, alice.sessionId);
    expect(ipynb).toBe(404);
    await ctx.close();
  });
});

describe("sample data", () => {
  it("opens a workspace with the bundled sample dataset attached, and fits a phone's screen", async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await signUp(page, lab.origin, `sample-${Date.now()}@example.org`, password);
    await page.goto(`${lab.origin}/`);
    await page.getByTestId("try-sample").click();
    await page.waitForURL(/\/workspace\?session=/);
    await page.getByTestId("dataset-item").filter({ hasText: "diabetes.csv" }).waitFor({ timeout: 60_000 });
    await runNewCell(page, "import pandas as pd; print(pd.read_csv('/data/diabetes.csv').shape)");
    await (await finishedCell(page, 0)).getByTestId("outputs").getByText("(442, 5)").waitFor();
    // An interactive Plotly figure, drawn by the app's own plotly.js from the JSON the kernel sent.
    await runNewCell(page, "import plotly.express as px; px.scatter(x=[1, 2, 3], y=[3, 1, 2], title='plotly here')");
    await (await finishedCell(page, 1)).locator("[data-output=plotly] .main-svg").first().waitFor();
    await page.locator("[data-output=plotly]").getByText("plotly here").waitFor();
    // A long cell shows its running time and stops on Interrupt.
    await runNewCell(page, "import time; time.sleep(60)");
    await page.getByTestId("cell").nth(2).locator("[data-status=running]", { hasText: /\d\.\d s/ }).waitFor({ timeout: 60_000 });
    await page.getByTestId("interrupt").click();
    const stopped = await finishedCell(page, 2);
    await stopped.getByText("KeyboardInterrupt").first().waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(800); // plotly and Monaco re-lay themselves out after a resize (debounced)
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await shot(page, "14-workspace-phone");
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, "14-workspace-phone");
    await ctx.close();
  });
});

describe("hostile output", () => {
  it("cannot read cookies, call the API, navigate or restyle the app", async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await signUp(page, lab.origin, `mallory-${Date.now()}@example.org`, password);
    await newSession(page, lab.origin);
    const url = page.url();
    const title = await page.title();
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const seen = lab.requests.length;
    const steal = `fetch('/trpc/sessions.list',{credentials:'include'}).then(r=>r.text()).then(t=>fetch('/trpc/auth.logout',{method:'POST',credentials:'include',headers:{'content-type':'application/json'},body:'{}'}))`;
    const hostile = [
      `<img src=x onerror="${steal}">`,
      `<script>${steal};document.title='script-ran';top.location='/evil-script'</script>`,
      `<svg onload="top.location='/evil-svg'"></svg>`,
      `<base href="http://evil.example/">`,
      `<meta http-equiv="refresh" content="0;url=/evil-refresh">`,
      `<style>html,body{background:red!important;display:none!important}</style>`,
      `<p id="marker">hostile output</p>`,
    ].join("");
    await runNewCell(page, `from IPython.display import HTML, display\ndisplay(HTML(${JSON.stringify(hostile)}))`);
    await finishedCell(page, 0);
    const frame = page.frameLocator("iframe[data-output-frame]");
    await frame.locator("#marker").waitFor({ state: "attached" }); // attached, not visible: its own <style> hides its body
    await page.waitForTimeout(1500); // give any handler, refresh or navigation the chance it must not have

    expect(page.url()).toBe(url);
    expect(await page.title()).toBe(title);
    expect(await page.evaluate(() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).display])).toEqual([background, "block"]);
    // Nothing reached the server from the frame's opaque origin, and the user is still signed in.
    // (The frame's own passive loads — its sizing script, the broken <img src=x> — do arrive, harmlessly.)
    const fromFrame = lab.requests.slice(seen).filter((r) => r.origin === "null");
    expect(fromFrame.filter((r) => /^\/(trpc|api)\b/.test(r.path))).toEqual([]);
    expect(lab.requests.slice(seen).filter((r) => /evil/.test(r.path))).toEqual([]);
    expect(await page.evaluate(async () => (await (await fetch("/trpc/auth.me")).json()).result.data !== null)).toBe(true);

    // Even script that does run inside the frame (injected here over CDP, past the CSP) is in an opaque origin.
    const inFrame = page.frames().find((f) => f !== page.mainFrame())!;
    const probe = await inFrame.evaluate(async () => {
      let cookie: string;
      try {
        cookie = document.cookie;
      } catch (e) {
        cookie = `blocked: ${(e as Error).name}`;
      }
      const api = await fetch("/trpc/sessions.list", { credentials: "include" }).then((r) => r.status, () => "network error");
      let parentDom: string;
      try {
        parentDom = String(parent.document.title);
      } catch (e) {
        parentDom = `blocked: ${(e as Error).name}`;
      }
      return { origin: location.origin, cookie, api, parentDom };
    });
    expect(probe).toEqual({ origin: "null", cookie: "blocked: SecurityError", api: "network error", parentDom: "blocked: SecurityError" });
    await shot(page, "11-hostile-output");
    await ctx.close();
  });
});

describe("streaming", () => {
  it("shows a cell's output as it is printed, not when the cell ends", async () => {
    const ctx = await browser.context();
    const page = await ctx.newPage();
    await signUp(page, lab.origin, `stream-${Date.now()}@example.org`, password);
    await newSession(page, lab.origin);
    // Record in the page when each line appears: the SSE stream must deliver events as they happen.
    await page.evaluate(() => {
      const seen: { t: number; text: string }[] = [];
      (window as unknown as { __arrivals: typeof seen }).__arrivals = seen;
      new MutationObserver(() => {
        const text = document.querySelector("[data-testid=cell] [data-testid=outputs]")?.textContent ?? "";
        if (text !== seen.at(-1)?.text) seen.push({ t: performance.now(), text });
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    // One line: the editor indents typed newlines itself, as it does for a person typing.
    await runNewCell(page, "import time\nfor i in range(5): print(f'tick {i}', flush=True); time.sleep(0.5)");
    await finishedCell(page, 0);
    const arrivals = await page.evaluate(() => (window as unknown as { __arrivals: { t: number; text: string }[] }).__arrivals);
    const ticks = arrivals.filter((a) => a.text.includes("tick"));
    // Each tick was seen on its own before the next was printed (5 distinct states), in order.
    expect(ticks.map((a) => (a.text.match(/tick/g) ?? []).length)).toEqual([1, 2, 3, 4, 5]);
    await mkdir(ARTIFACTS, { recursive: true });
    await writeFile(
      path.join(ARTIFACTS, "stream-arrivals.json"),
      JSON.stringify(ticks.map((a) => ({ ms: Math.round(a.t - ticks[0]!.t), text: a.text })), null, 1),
    );
    await ctx.close();
  });
});

describe("languages", () => {
  it("follows the browser's language, switches, and remembers the choice", async () => {
    const ctx = await browser.context({ locale: "zh-CN" });
    const page = await ctx.newPage();
    await page.goto(`${lab.origin}/`);
    await page.getByText("向数据提问，得到代码、图表和解读。").waitFor();
    await shot(page, "12-home-zh");
    await page.getByTestId("language-switch").selectOption("en");
    await page.getByText("Ask your data a question.", { exact: false }).waitFor();
    await page.reload();
    await page.getByText("Ask your data a question.", { exact: false }).waitFor();
    await page.getByTestId("language-switch").selectOption("zh-CN");
    await signUp(page, lab.origin, `lang-${Date.now()}@example.org`, password);
    await page.getByRole("heading", { name: "历史记录" }).waitFor();
    await newSession(page, lab.origin);
    await page.getByText("新的代码单元格").waitFor();
    await shot(page, "13-workspace-zh");
    await ctx.close();
  });
});
