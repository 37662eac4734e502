import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { REPO_ROOT } from "./lab";

export const ARTIFACTS = path.join(REPO_ROOT, "test-artifacts", "web");

/** A full-page screenshot in test-artifacts/web/<name>.png (kept for people to look at). */
export async function shot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  // Let fonts, Monaco and output frames settle ("networkidle" never comes: the event stream stays open).
  await page.waitForLoadState("load");
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/signup`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL("**/history");
}

export async function signIn(page: Page, origin: string, email: string, password: string): Promise<void> {
  await page.goto(`${origin}/signin`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("button[type=submit]");
  await page.waitForURL("**/history");
}

/** New session from /workspace; returns its id. */
export async function newSession(page: Page, origin: string): Promise<string> {
  await page.goto(`${origin}/workspace`);
  await page.getByTestId("new-session").click();
  await page.waitForURL(/\/workspace\?session=/);
  await page.getByTestId("new-cell").locator(".monaco-editor").waitFor();
  return new URL(page.url()).searchParams.get("session")!;
}

/** Types code into the new-cell editor (as a paste: no auto-closing brackets) and runs it with Shift+Enter. */
export async function runNewCell(page: Page, code: string): Promise<void> {
  const before = await page.getByTestId("cell").count();
  await page.getByTestId("new-cell").locator(".monaco-editor").click();
  await page.keyboard.insertText(code);
  await page.keyboard.press("Shift+Enter");
  await page.getByTestId("cell").nth(before).waitFor().catch(async (err: unknown) => {
    await shot(page, "failed-run-new-cell");
    throw err;
  });
}

/** The n-th cell once it has finished (ok or error). */
export async function finishedCell(page: Page, n: number, timeout = 90_000) {
  const cell = page.getByTestId("cell").nth(n);
  await cell.locator("xpath=self::*[@data-cell-status='ok' or @data-cell-status='error']").waitFor({ timeout });
  return cell;
}
