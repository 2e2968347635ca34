// Chromium launch + a fresh, isolated page per measured run.
import { chromium } from 'playwright-core';
import { childProcesses } from './memory.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** @param {{ headed?: boolean }} [opts] */
export async function launchBrowser({ headed = false } = {}) {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: !headed });
  // playwright-core spawns the browser as a direct child of this Node process; its pid roots the tree
  // whose memory we sample (Browser has no process() accessor, only BrowserServer does).
  const pid = childProcesses(process.pid).find((p) => /chrom/i.test(p.cmd) && !p.cmd.includes('--type='))?.pid;
  if (!pid) {
    await browser.close();
    throw new Error('browser process not found (needed for process-tree memory sampling)');
  }
  return { browser, pid, version: browser.version() };
}

/**
 * Open the bench page in a new browser context (fresh renderer, empty HTTP cache) and import `system`'s module,
 * so module fetch/compile never lands inside a timed region.
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 * @param {string} system
 * @param {(line: string) => void} [log]
 */
export async function openBenchPage(browser, origin, system, log) {
  const context = await browser.newContext();
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      errors.push(`${m.type()}: ${m.text()}`);
      log?.(`  [page ${m.type()}] ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => { errors.push(`pageerror: ${e.message}`); log?.(`  [pageerror] ${e.message}`); });
  await page.goto(`${origin}/bench/index.html`);
  await page.waitForFunction(() => /** @type {any} */ (window).benchReady === true, null, { timeout: 30_000 });
  const info = await page.evaluate((s) => /** @type {any} */ (window).benchLoad(s), system);
  if (!info.crossOriginIsolated) log?.('  warning: page is not cross-origin isolated');
  return { page, context, info, errors, close: () => context.close() };
}

/**
 * Run one measured job in the page; rejects after `timeoutMs`.
 * @param {import('playwright-core').Page} page
 * @param {string} system
 * @param {object} args
 * @param {number} timeoutMs
 * @returns {Promise<any>}
 */
export async function runInPage(page, system, args, timeoutMs) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${system}: timed out after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    const r = await Promise.race([
      page.evaluate(([s, a]) => /** @type {any} */ (window).benchRun(s, a), /** @type {const} */ ([system, args])),
      timeout,
    ]);
    if (!r.ok) throw new Error(`${system} failed in page: ${r.error}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}
