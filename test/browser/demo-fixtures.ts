/**
 * Shared by the demo specs: a page fixture that fails the test on any console error or uncaught page error, a
 * screenshot helper that attaches each panel's screenshot to the report, and ffprobe for downloads.
 */
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';

export interface ConsoleWatch {
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

export const test = base.extend<{ watch: ConsoleWatch }>({
  watch: async ({ page }, use) => {
    const watch: ConsoleWatch = { errors: [] };
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      watch.errors.push(`console.error: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => watch.errors.push(`pageerror: ${String(e)}`));
    await use(watch);
    expect(watch.errors, 'console errors / uncaught exceptions on the demo page').toEqual([]);
  },
});

/** Full-page screenshot attached to the test (test-results/<test>/<name>.png and the report). */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

export interface Probe {
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number; nb_read_frames?: string; duration?: string }>;
  format: { duration?: string; format_name: string };
}

/** ffprobe with decoded frame counts. */
export function ffprobe(file: string): Probe {
  return JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', file]).toString()) as Probe;
}

/** Opens a demo panel by its tab, as a user would. */
export async function openPanel(page: Page, name: 'Convert' | 'Filters' | 'Thumbnails' | 'Live' | 'Capabilities'): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
}

/**
 * Accessibility check with axe-core: WCAG 2.0/2.1 A and AA rules plus axe's best practices, on the page as it is
 * now (run it once a panel shows its content). Fails with each violation's rule, impact and first elements.
 */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  const found = violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  expect(found, `axe violations on ${where}`).toEqual([]);
}

export { expect };
