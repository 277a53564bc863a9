// A headless Chromium for UI tests: the system package (/usr/bin/chromium, installed by
// hack/setup.sh) driven by playwright-core, a fresh temporary profile per launch, pages that
// record what went wrong, and screenshots kept under test-artifacts/screenshots/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { artifactsDir } from './run-state.ts';

export const chromiumPath = process.env['KBT_CHROMIUM'] ?? '/usr/bin/chromium';

/** Launches headless Chromium; playwright gives each launch its own throw-away profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface RecordedPage {
  page: Page;
  context: BrowserContext;
  /** Console messages of type `error` and uncaught page errors. */
  consoleErrors: string[];
  /** Requests that failed at the network level (refused, aborted, …): `METHOD url: reason`. */
  failedRequests: string[];
  /** Responses with status >= 400: `status METHOD url`. */
  errorResponses: string[];
  close(): Promise<void>;
}

/** A page in a new context (own cookies and storage) that records errors as it goes. */
export async function newPage(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<RecordedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const recorded: RecordedPage = {
    page,
    context,
    consoleErrors: [],
    failedRequests: [],
    errorResponses: [],
    close: () => context.close(),
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') recorded.consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => recorded.consoleErrors.push(`uncaught: ${err.message}`));
  page.on('requestfailed', (req) => {
    recorded.failedRequests.push(
      `${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'failed'}`,
    );
  });
  page.on('response', (res) => {
    if (res.status() >= 400) {
      recorded.errorResponses.push(`${res.status()} ${res.request().method()} ${res.url()}`);
    }
  });
  return recorded;
}

/** Saves a full-page PNG as test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(artifactsDir(), 'screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
