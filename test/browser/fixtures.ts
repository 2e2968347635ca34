import { test as base, expect, type Page } from '@playwright/test';

export interface RunResult {
  ok: boolean;
  plan?: any;
  planSeen?: any;
  stats?: any;
  size?: number;
  type?: string;
  progress: Array<{ framesDone: number; framesTotal: number; fraction: number; fps: number; etaSeconds: number; elapsedMs: number }>;
  error?: { name: string; code: string; message: string; details: any; isFramepipeError: boolean };
  ms: number;
}

/** A page with the harness loaded (library from source, served by Vite with COOP/COEP). */
export const test = base.extend<{ harness: Page }>({
  harness: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto('/test/browser/harness.html');
    await page.waitForFunction(() => (window as any).harnessReady === true);
    await use(page);
    expect(errors, 'uncaught page errors').toEqual([]);
  },
});

/** Runs `transcode` in the page; the output lands in test-results/uploads/<upload>. */
export function run(page: Page, args: { input: string; options?: Record<string, unknown>; upload?: string; abortAfterFrames?: number; abortAfterFraction?: number; abortAfterMs?: number; asBlob?: boolean }): Promise<RunResult> {
  return page.evaluate((a) => (window as any).run(a), args);
}

export { expect };
