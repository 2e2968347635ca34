// Headless Chromium session for the CLI (playwright-core with the system Chromium).

import { accessSync, constants, statSync } from 'node:fs';
import { CliError } from './options.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * `--chromium PATH`, else `$CHROMIUM_PATH`, else /usr/bin/chromium.
 * @param {string | undefined} flag
 */
export function resolveChromiumPath(flag) {
  return flag || process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
}

/**
 * Throws CHROMIUM_NOT_FOUND with install instructions unless `path` is an executable file.
 * @param {string} path
 */
export function checkChromium(path) {
  const hint =
    'framepipe runs the library in a system Chromium. Install it with:\n' +
    '    apt-get install -y chromium        (Debian/Ubuntu; as root or with sudo)\n' +
    '  or point to an existing binary with --chromium PATH or the CHROMIUM_PATH environment variable.';
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new CliError('CHROMIUM_NOT_FOUND', `Chromium not found at ${path}`, { hint });
  }
  if (!st.isFile()) throw new CliError('CHROMIUM_NOT_FOUND', `${path} is not a file`, { hint });
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new CliError('CHROMIUM_NOT_FOUND', `${path} is not executable`, { hint });
  }
}

/**
 * Launches Chromium, opens the driver page and wires the exposed callbacks.
 *
 * @param {{
 *   executablePath: string,
 *   pageUrl: string,
 *   onProgress?: (p: any) => void,
 *   onPlan?: (plan: any) => void,
 *   onUpload?: (u: { bytesDone: number, bytesTotal: number }) => void,
 *   log?: (line: string) => void,
 * }} opts
 */
export async function openSession(opts) {
  const { chromium } = await import('playwright-core');
  const log = opts.log ?? (() => {});
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: opts.executablePath,
      args: CHROMIUM_ARGS,
      headless: true,
      // The CLI handles SIGINT/SIGTERM itself (abort in the page first, then close).
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: 60_000,
    });
  } catch (e) {
    throw new CliError('BROWSER_LAUNCH_FAILED', `could not launch Chromium (${opts.executablePath}): ${firstLine(e)}`);
  }

  /** @type {(e: Error) => void} */
  let failSession = () => {};
  /** Rejects when the page crashes or the browser goes away; raced against every page call. */
  const broken = new Promise((_resolve, reject) => {
    failSession = reject;
  });
  broken.catch(() => {});
  let closing = false;

  browser.on('disconnected', () => {
    if (!closing) failSession(new CliError('BROWSER_CRASHED', 'Chromium exited unexpectedly'));
  });

  const context = await browser.newContext({ acceptDownloads: false, serviceWorkers: 'block' });
  const page = await context.newPage();
  page.on('crash', () => failSession(new CliError('BROWSER_CRASHED', 'the Chromium page crashed (out of memory?)')));
  page.on('console', (m) => log(`[page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log(`[page error] ${e?.stack ?? e}`));
  page.on('requestfailed', (r) => log(`[page request failed] ${r.method()} ${r.url()}: ${r.failure()?.errorText ?? ''}`));
  page.on('worker', (w) => {
    log(`[page] worker started: ${w.url()}`);
  });

  await page.exposeFunction('__framepipeProgress', (p) => opts.onProgress?.(p));
  await page.exposeFunction('__framepipePlan', (p) => opts.onPlan?.(p));
  await page.exposeFunction('__framepipeUpload', (u) => opts.onUpload?.(u));

  const guard = (promise) => Promise.race([promise, broken]);

  try {
    const res = await guard(page.goto(opts.pageUrl, { waitUntil: 'load', timeout: 60_000 }));
    if (!res || !res.ok()) throw new CliError('BROWSER_PAGE_FAILED', `could not load the driver page ${opts.pageUrl} (HTTP ${res?.status() ?? '?'})`);
    await guard(page.waitForFunction(() => /** @type {any} */ (window).framepipeCli?.ready === true, undefined, { timeout: 30_000 }));
    const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
    if (!isolated) log('[cli] warning: page is not cross-origin isolated');
  } catch (e) {
    closing = true;
    await browser.close().catch(() => {});
    if (e instanceof CliError) throw e;
    throw new CliError('BROWSER_PAGE_FAILED', `could not start the driver page: ${firstLine(e)}`);
  }

  return {
    browser,
    page,
    /**
     * @param {{ mode: 'plan' | 'transcode', options: Record<string, any>, uploadUrl?: string, sliceBytes?: number }} args
     * @returns {Promise<any>} the page's `{ ok, ... }` object
     */
    run: (args) => guard(page.evaluate((a) => /** @type {any} */ (window).framepipeCli.run(a), args)),
    /** Aborts the running job in the page (AbortController). */
    abort: async () => {
      try {
        return await page.evaluate(() => /** @type {any} */ (window).framepipeCli?.abort());
      } catch {
        return false;
      }
    },
    close: async () => {
      closing = true;
      await browser.close().catch(() => {});
    },
  };
}

function firstLine(e) {
  const msg = String(/** @type {any} */ (e)?.message ?? e);
  return msg.split('\n').find((l) => l.trim()) ?? msg;
}
