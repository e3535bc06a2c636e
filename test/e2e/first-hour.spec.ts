// The first hour of a newcomer, in Debian's Chromium against `cvb serve` on an empty data folder:
// Start on the untouched default form trains and draws a point; a second run with one switch
// changed is told apart from the first in the Runs list; the window does not scroll away under
// the wheel; and in Chinese no screen shows untranslated text.
import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServer } from './serve-helper';

const shotsDir = join('test-results', 'screenshots');

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`) });
}

/** The little of the browser's DOM the checks below use (this file is type-checked without the DOM library). */
interface Element {
  textContent: string | null;
  parentElement: Element | null;
  closest(selector: string): Element | null;
  getClientRects(): { length: number };
}
interface Dom {
  document: { body: unknown; scrollingElement: { scrollTop: number } | null; createTreeWalker(root: unknown, show: number): { nextNode(): Element | null } };
  getComputedStyle(element: Element): { display: string; visibility: string };
  scrollY: number;
}

async function points(page: Page): Promise<number> {
  return Number(await page.getByTestId('chart-loss').getAttribute('data-points'));
}

/** Press Start, wait for the first chart point, then stop and wait until Start is back. */
async function trainUntilFirstPoint(page: Page): Promise<void> {
  const start = page.getByTestId('start-button');
  await expect(start).toBeEnabled();
  const runLabel = page.getByTestId('progress-run');
  const previous = (await runLabel.count()) > 0 ? await runLabel.getAttribute('data-run-id') : null;
  await start.click();
  // Until the new run is attached the chart still holds the previous run's points: a first point
  // counts only once the progress card follows the new run (else Stop lands before its first step).
  await expect.poll(async () => ((await runLabel.count()) > 0 ? runLabel.getAttribute('data-run-id') : null), { timeout: 60_000 }).not.toBe(previous);
  await expect.poll(() => points(page), { timeout: 120_000 }).toBeGreaterThan(0);
  await page.getByTestId('stop-button').click();
  await expect(start).toBeEnabled({ timeout: 90_000 });
}

/**
 * Visible text that has Latin letters and no Chinese character, outside what is a name rather than
 * a word: network, family, optimizer, backend, dataset and run names, layer identifiers (the
 * inspector, the block diagram), paper citations, units and version numbers, and `data` (the
 * dataset's class names).
 */
async function untranslated(page: Page, data: readonly string[]): Promise<string[]> {
  return page.evaluate((data) => {
    const names = [
      /^(alexnet|vgg\d+(_bn)?|googlenet|inception_v3|resnet\d+|resnext\d+_\d+x\d+d|seresnet\d+|seresnext\d+_\d+x\d+d|densenet\d+|densenet_bc_\d+_k\d+)$/,
      /^(AlexNet|VGG|GoogLeNet|Inception|ResNet|ResNeXt|DenseNet|SENet)$/,
      /^(SGD|Adam|AdamW|RMSprop|tensorflow|wasm|cpu|CVB|PNG|CSV|JSON|MNIST|Fashion-MNIST|CIFAR-10|CIFAR-100|ImageNet)$/,
      /^(relu|leaky_relu|sigmoid|tanh|elu|smallInput|BN|SE|LRN)$/,
      /^[a-z0-9-]+-subset$|^\d{8}-\d{6}-[a-z0-9_-]+$/,
      /^v\d+\.\d+\.\d+$/,
      /^[\d.,\s×]+\s?(K|M|G|KiB|MiB|GiB|px)?$/,
      /et al\.|&.*"|".*", [A-Z]+ \d{4}/,
    ];
    // The dataset's own class names are data, shown as the dataset has them (with an index or a share).
    const isData = (text: string) => data.includes(text.replace(/^\d+ /, '').replace(/ \([\d.]+%\)$/, ''));
    const allowed = (text: string) => isData(text) || text.split(' · ').every((part) => names.some((pattern) => pattern.test(part.trim())));
    const dom = globalThis as unknown as Dom;
    const found = new Set<string>();
    const walker = dom.document.createTreeWalker(dom.document.body, 4 /* NodeFilter.SHOW_TEXT */);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent ?? '').trim();
      if (!text || !/[A-Za-z]/.test(text) || /[\u3400-\u9fff\uff00-\uffef]/.test(text)) continue;
      const element = node.parentElement;
      if (!element || element.closest('script, style, svg, option[lang], [data-testid="models-inspector"] tbody')) continue;
      const style = dom.getComputedStyle(element);
      if (style.display === 'none' || style.visibility === 'hidden' || element.getClientRects().length === 0) continue;
      if (!allowed(text)) found.add(text);
    }
    return [...found];
  }, data);
}

test('the first hour: the default form trains, one changed switch is told apart, Chinese is complete', async ({ page }) => {
  test.setTimeout(480_000);
  const home = mkdtempSync(join(tmpdir(), 'cvb-first-hour-'));
  const server: RunningServer = await startServe(home);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(server.url);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');

    // Without touching a field: the form is on a model that fits the bundled data, and Start trains.
    await expect(page.getByTestId('field-model')).toHaveValue('resnet20');
    await expect(page.getByTestId('start-blockers')).toHaveCount(0);
    await shot(page, 'first-hour-01-default-form');
    await trainUntilFirstPoint(page);
    await shot(page, 'first-hour-02-first-point');

    // A model that does not fit: Start is disabled before it is pressed, with the reason and a fix.
    await page.getByTestId('field-model').selectOption('alexnet');
    await expect(page.getByTestId('start-button')).toBeDisabled();
    await expect(page.getByTestId('fit-problem')).toContainText('too small');
    await shot(page, 'first-hour-03-does-not-fit');
    await page.getByTestId('fit-fix').click();
    await expect(page.getByTestId('start-button')).toBeEnabled();
    await page.getByTestId('field-model').selectOption('resnet20');

    // The second run: resnet20 with one switch changed on the Models screen.
    await page.getByTestId('nav-models').click();
    await page.getByTestId('models-variant').selectOption('resnet20');
    await page.getByTestId('models-switch-activation').selectOption('sigmoid');
    await page.getByTestId('models-train-button').click();
    await expect(page.getByTestId('train-switches-summary')).toContainText('sigmoid');
    await trainUntilFirstPoint(page);

    // The two runs, told apart in the list.
    await page.getByTestId('nav-runs').click();
    const rows = page.locator('[data-testid^="run-row-"]');
    await expect(rows).toHaveCount(2);
    const chips = await Promise.all([0, 1].map(async (index) => (await rows.nth(index).locator('.chip').allTextContents()).join(' ')));
    expect(chips.sort()).toEqual(['', 'sigmoid']);
    await shot(page, 'first-hour-04-runs');

    // An evaluated run's detail: the wheel over the sidebar does not scroll the window.
    await rows.filter({ has: page.locator('.chip') }).click();
    await expect(page.getByTestId('detail-title')).toHaveText('resnet20 · sigmoid');
    await page.getByTestId('evaluate-button').click();
    await expect(page.getByTestId('eval-top1')).toBeVisible({ timeout: 180_000 });
    await page.mouse.move(100, 500);
    await page.mouse.wheel(0, 3000);
    await page.waitForTimeout(300);
    expect(
      await page.evaluate(() => {
        const dom = globalThis as unknown as Dom;
        return [dom.scrollY, dom.document.scrollingElement?.scrollTop ?? 0];
      }),
    ).toEqual([0, 0]);

    // 中文: no screen shows untranslated text.
    await page.getByTestId('lang-switch').selectOption('zh-CN');
    const leftovers: Record<string, string[]> = {};
    const classes = (JSON.parse(readFileSync(join('resources', 'datasets', 'fashion-mnist-subset', 'dataset.json'), 'utf8')) as { classes: string[] }).classes;
    const check = async (screen: string) => {
      await page.waitForTimeout(800);
      const found = await untranslated(page, classes);
      if (found.length > 0) leftovers[screen] = found;
    };
    await check('run detail');
    await shot(page, 'first-hour-05-run-detail-zh');
    for (const screen of ['train', 'runs', 'models', 'datasets', 'inference', 'compare']) {
      await page.getByTestId(`nav-${screen}`).click();
      await check(screen);
    }
    expect(leftovers).toEqual({});
  } finally {
    await server.stop();
  }
});
