// The first journey of a user, in Debian's Chromium against `cvb serve` in a temporary home:
// choose a network, see a bad field refused, train, watch the chart grow, stop, find the run in
// the list with its metrics, restart the server and find it again.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServer } from './serve-helper';

const shotsDir = join('test-results', 'screenshots');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  const file = join(shotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

async function points(page: Page, testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).getAttribute('data-points'));
}

test('train, watch, stop, find the run again after a restart, and resume it', async ({ page }) => {
  const home = mkdtempSync(join(tmpdir(), 'cvb-e2e-'));
  let server: RunningServer = await startServe(home);
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await page.getByTestId('field-model').selectOption('resnet20');
    await shot(page, '01-train');

    // A bad value is refused next to its field and starts nothing.
    await page.getByTestId('field-batchSize').fill('0');
    await expect(page.getByTestId('error-batchSize')).toHaveText(/\S/);
    await expect(page.getByTestId('start-button')).toBeDisabled();
    await shot(page, '02-invalid-field');

    await page.getByTestId('field-batchSize').fill('16');
    await page.getByTestId('field-epochs').fill('1');
    await page.getByTestId('field-learningRate').fill('0.002');
    await expect(page.getByTestId('error-batchSize')).toBeEmpty();
    await page.getByTestId('start-button').click();

    // The chart grows while the worker trains.
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 90_000 }).toBeGreaterThan(2);
    const before = await points(page, 'chart-loss');
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 60_000 }).toBeGreaterThan(before);
    await expect(page.getByTestId('progress')).toContainText(/images\/s/);
    await shot(page, '03-training');

    await page.getByTestId('stop-button').click();
    await expect(page.getByTestId('start-button')).toBeEnabled({ timeout: 90_000 });

    await page.getByTestId('nav-runs').click();
    const row = page.locator('[data-testid^="run-row-"]').first();
    await expect(row).toHaveAttribute('data-status', 'stopped');
    const runTestId = (await row.getAttribute('data-testid'))!;
    await expect(row).toContainText('resnet20');
    await expect(row).toContainText('%');
    await shot(page, '04-runs');

    // Restart the server: the run is still there, read from the run folder.
    await server.stop();
    server = await startServe(home);
    await page.goto(server.url);
    await page.getByTestId('nav-runs').click();
    const again = page.getByTestId(runTestId);
    await expect(again).toHaveAttribute('data-status', 'stopped');
    await again.click();
    await expect(page.getByTestId('run-detail')).toBeVisible();
    await expect.poll(() => points(page, 'chart-loss')).toBeGreaterThan(2);
    await shot(page, '05-run-after-restart');

    // Resume: the same run continues on the Train screen, its curve growing past where it stopped.
    const beforeResume = await points(page, 'chart-loss');
    await page.getByTestId('resume-button').click();
    await expect(page.getByTestId('nav-train')).toHaveAttribute('aria-current', 'page');
    await expect.poll(() => points(page, 'chart-loss'), { timeout: 90_000 }).toBeGreaterThan(beforeResume);
    await page.getByTestId('stop-button').click();
    await expect(page.getByTestId('start-button')).toBeEnabled({ timeout: 90_000 });
    await page.getByTestId('nav-runs').click();
    await expect(page.getByTestId(runTestId)).toHaveAttribute('data-status', 'stopped');
    await expect(page.locator('[data-testid^="run-row-"]')).toHaveCount(1);
    expect(consoleErrors.filter((text) => /Content Security Policy|Refused to/.test(text))).toEqual([]);
  } finally {
    await server.stop();
  }
});
