// The browser suite (e2e/*.spec.ts) on @playwright/test, driving the system Chromium
// (/usr/bin/chromium, or CHROMIUM_PATH): Playwright's own browser download is never used.
//
// It runs against servers someone else started, in sandbox mode: scripts/browser-tests.sh starts
// them and passes their URLs (E2E_BASE_URL, and E2E_JWT_BASE_URL, E2E_JWT_SECRET, E2E_HOST_PORT
// for the embedding scenarios). One worker, files in their numbered order: the scenarios share
// one sandbox whose state some of them change for everyone (revoke-all, fault injection, an
// archived contact), so none may run beside another.

import { defineConfig } from '@playwright/test';

const headed = Boolean(process.env.HEADED);

export default defineConfig({
  testDir: './e2e',
  testMatch: '*.spec.ts',
  outputDir: './e2e/results',
  globalTeardown: './e2e/global-teardown.ts',
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  // A step may wait minutes (a change reaching the sandbox's search index, 100,000 rows); the
  // per-action timeout (E2E_TIMEOUT_MS, 15 s) is set on each page the suite opens.
  timeout: 180_000,
  reporter: [['list'], ['html', { outputFolder: './e2e/report', open: 'never' }]],
  use: {
    browserName: 'chromium',
    // Locally every test is recorded and the trace kept when it fails; in CI (one retry) only
    // a retry is recorded, so a passing run pays nothing (recording costs ~55% of the suite's
    // time) and a failure that repeats still leaves its trace in e2e/results.
    trace: process.env.CI ? 'on-first-retry' : 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: !headed,
      args: [
        ...(headed ? [] : ['--headless']),
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
});
