// Inference in Debian's Chromium against `cvb serve`: a run trained for a few steps with the CLI,
// an image dropped on the page (a synthetic drop event carrying a real File), top-k and heatmap.
// Needs the Inference screen in the navigation (`nav-inference`); skipped with that reason before.
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { startServe, type RunningServer } from './serve-helper';

async function shot(page: Page, name: string): Promise<void> {
  const dir = join('test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
}

/** What the page's code below uses of the browser (the node-side type check has no DOM library). */
interface Browser {
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: Uint8Array[], name: string, options: { type: string }) => unknown;
  DragEvent: new (type: string, init: { dataTransfer: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
  document: { body: { dispatchEvent(event: unknown): boolean } };
  atob(text: string): string;
}

interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

/** Dispatches a drop of real files, as a user dragging them from the desktop would. */
async function dropFiles(page: Page, files: { name: string; type: string; base64: string }[]): Promise<void> {
  await page.evaluate((payload) => {
    const browser = globalThis as unknown as Browser;
    const transfer = new browser.DataTransfer();
    for (const file of payload) {
      const bytes = Uint8Array.from(browser.atob(file.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new browser.File([bytes], file.name, { type: file.type }));
    }
    for (const type of ['dragenter', 'dragover', 'drop']) {
      browser.document.body.dispatchEvent(new browser.DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }
  }, files);
}

test('drop an image, see the top classes and the Grad-CAM heatmap', async ({ page }) => {
  const home = mkdtempSync(join(tmpdir(), 'cvb-e2e-infer-'));
  const train = spawnSync(process.execPath, [join('dist', 'main', 'cli.js'), 'train', '--model', 'resnet20', '--max-steps', '5', '--home', home, '--json'], { encoding: 'utf8', timeout: 180_000 });
  expect(train.status, train.stderr).toBe(0);
  const server: RunningServer = await startServe(home);
  try {
    await page.goto(server.url);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
    await page.getByTestId('nav-inference').click();
    await expect(page.getByTestId('inference-drop')).toBeVisible();

    // A sandal-like picture: dark background, a bright wedge; plus a file that is not an image.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="90"><rect width="120" height="90" fill="#111"/><path d="M10 70 L110 55 L110 75 L10 80 Z" fill="#eee"/></svg>`;
    const picture = await sharp(Buffer.from(svg)).png().toBuffer();
    await dropFiles(page, [{ name: 'sandal.png', type: 'image/png', base64: picture.toString('base64') }]);

    const result = page.getByTestId('inference-result').first();
    await expect(result).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
    await expect(result.getByTestId('inference-topk').locator('li')).toHaveCount(5);
    await expect(result.getByTestId('inference-topk')).toContainText('%');
    await expect(result.getByTestId('inference-cam')).toHaveAttribute('data-has-heatmap', 'true');
    await expect(result).toContainText(/\d ms/);
    // The overlay is drawn: the canvas holds more than one colour.
    const colours = await result.getByTestId('inference-cam').evaluate((element) => {
      const canvas = element as unknown as Canvas;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < data.length; i += 16) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return seen.size;
    });
    expect(colours).toBeGreaterThan(10);
    await page.getByTestId('inference-opacity').fill('0.8');
    await shot(page, '06-inference');

    // A file that is not an image gets its own answer; the earlier one stays.
    await dropFiles(page, [{ name: 'notes.png', type: 'image/png', base64: Buffer.from('not really a picture').toString('base64') }]);
    await expect(page.getByTestId('inference-refused')).toContainText(/not an image/, { timeout: 30_000 });
    await expect(page.getByTestId('inference-table')).toBeVisible();
  } finally {
    await server.stop();
  }
});
