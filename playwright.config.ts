import { defineConfig } from '@playwright/test';

/** Headless system Chromium (Playwright cannot download browsers here); flags measured in ../shared/notes. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORT = Number(process.env.FRAMEPIPE_TEST_PORT ?? 5174);

export default defineConfig({
  testDir: 'test/browser',
  timeout: 180_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://localhost:${PORT}`,
    launchOptions: {
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
  // Real-time capture tests (fake camera at 30 fps) judge frame rates: they run last and alone, one file after
  // the other, so the CPU-heavy tests of the main project cannot starve the capture.
  projects: [
    { name: 'main', testIgnore: [/(^|\/)live\.spec\.ts$/, /(^|\/)demo-live\.spec\.ts$/] },
    { name: 'realtime', testMatch: /(^|\/)live\.spec\.ts$/, dependencies: ['main'] },
    { name: 'realtime-demo', testMatch: /(^|\/)demo-live\.spec\.ts$/, dependencies: ['realtime'] },
  ],
  webServer: {
    command: `npx vite --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/test/browser/harness.html`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
