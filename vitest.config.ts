import { defineConfig } from 'vitest/config';

// Node unit tests for pure logic (test/unit) and the CLI (test/cli). Browser behaviour is tested by Playwright.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/cli/**/*.test.{js,ts}', 'test/server/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
