// The Electron end-to-end suite: the real app (main process, preload, IPC, renderer) driven through
// Playwright's _electron. Where Electron's binary or a display is missing, the global setup prints
// `Electron e2e skipped: <reason>` and every test is skipped with that reason.
//   npx playwright test -c playwright.electron.config.ts
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e-electron',
  outputDir: 'test-results/e2e-electron',
  globalSetup: './test/e2e-electron/global-setup.ts',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'test-results/electron-e2e.json' }]],
});
