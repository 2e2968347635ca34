// The demo page as a person uses it: bundled sample → plan → transcode → playable output.
import { test, expect } from '@playwright/test';

test('demo: bundled sample transcodes and the result plays', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('/');
  await expect(page).toHaveURL(/\/demo\/$/);
  await page.getByRole('button', { name: /bundled sample/ }).click();
  await expect(page.locator('#plan')).toContainText('TRANSCODE (webcodecs)');
  await expect(page.locator('#plan')).toContainText('COPY (copy)');
  await page.locator('select[name=height]').selectOption('360');
  await page.getByRole('button', { name: 'Transcode', exact: true }).click();
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 60_000 });
  await expect(page.locator('#summary')).toContainText('150 frames');
  const meta = await page.locator('#after').evaluate(async (v: HTMLVideoElement) => {
    if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
    return { w: v.videoWidth, h: v.videoHeight, d: v.duration };
  });
  expect(meta).toMatchObject({ w: 640, h: 360 });
  expect(meta.d).toBeGreaterThan(4.9);
  expect(await page.locator('#download').getAttribute('href')).toMatch(/^blob:/);
  expect(errors).toEqual([]);
});
