import { type Browser, type BrowserContext, chromium } from "playwright-core";

/** Debian's Chromium, driven by playwright-core (Playwright's own browser download is not available here). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (own cookies and storage) per user. */
  context(opts?: { locale?: string }): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** playwright-core gives each launch a fresh temporary profile (--user-data-dir) and removes it on close. */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    browser,
    context: ({ locale = "en-US" } = {}) =>
      browser.newContext({ locale, viewport: { width: 1440, height: 900 }, acceptDownloads: true }),
    close: () => browser.close(),
  };
}
