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
  webServer: {
    command: `npx vite --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}/test/browser/harness.html`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
