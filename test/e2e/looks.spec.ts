// How the workbench looks in Debian's Chromium on a machine without a CJK font (emulated: the
// system's fontconfig with every CJK font rejected): Chinese drawn in the font the app ships
// (served by the app, nothing fetched elsewhere), the inspector's sticky total row over the layers,
// every column of the Runs table at 1440×900, and exported charts named after their title and run,
// opaque in both colour schemes.
import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import config from '../../playwright.config';
import { startServe, type RunningServer } from './serve-helper';

/** The system's font configuration less its CJK fonts (Noto CJK, WenQuanYi, Droid fallback, AR PL, ...). */
function fontconfigWithoutCjk(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cvb-fontconfig-'));
  const file = join(dir, 'fonts.conf');
  writeFileSync(
    file,
    `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <cachedir>${join(dir, 'cache')}</cachedir>
  <selectfont><rejectfont>
    <glob>*CJK*</glob><glob>*cjk*</glob><glob>*wqy*</glob><glob>*WenQuanYi*</glob><glob>*DroidSansFallback*</glob>
    <glob>*arphic*</glob><glob>*uming*</glob><glob>*ukai*</glob><glob>*SourceHan*</glob><glob>*NotoSansSC*</glob>
  </rejectfont></selectfont>
</fontconfig>
`,
  );
  return file;
}

test.use({ launchOptions: { ...config.use?.launchOptions, env: { ...process.env, FONTCONFIG_FILE: fontconfigWithoutCjk() } } });

/** The little of the browser's DOM these checks use (this file is type-checked without the DOM library). */
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}
interface DomElement {
  textContent: string | null;
  className: string;
  parentElement: DomElement | null;
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  getBoundingClientRect(): Box;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
}
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { font: string; fillText(text: string, x: number, y: number): void; getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } };
}
interface FontFace {
  family: string;
  status: string;
}
interface Dom {
  document: {
    fonts: Iterable<FontFace> & { ready: Promise<unknown>; check(font: string, text: string): boolean };
    querySelector(selector: string): DomElement | null;
    createElement(tag: 'canvas'): Canvas;
    elementFromPoint(x: number, y: number): DomElement | null;
  };
  getComputedStyle(element: DomElement): { fontFamily: string; backgroundColor: string };
}

const BUNDLED_FAMILY = 'Noto Sans SC';
const shotsDir = join('test-results', 'screenshots');

test.describe.configure({ mode: 'serial' });

let home = '';
let server: RunningServer;
let runId = '';

test.beforeAll(async () => {
  test.setTimeout(300_000);
  home = mkdtempSync(join(tmpdir(), 'cvb-looks-'));
  // One short sigmoid run: the Runs table and a run's charts need one, its chip makes the row wide.
  const cli = join(process.cwd(), 'dist', 'main', 'cli.js');
  const trained = spawnSync(process.execPath, [cli, 'train', '--model', 'resnet20', '--option', 'activation=sigmoid', '--max-steps', '4', '--batch-size', '16', '--home', home, '--json'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (trained.status !== 0) throw new Error(`cvb train failed:\n${trained.stdout.slice(-2000)}\n${trained.stderr}`);
  runId = (JSON.parse(trained.stdout.trim().split('\n').at(-1)!) as { runId: string }).runId;
  server = await startServe(home);
});

test.afterAll(async () => {
  await server?.stop();
});

async function open(page: Page, locale: 'en' | 'zh-CN'): Promise<void> {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(server.url);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'connected');
  await page.getByTestId('lang-switch').selectOption(locale);
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: join(shotsDir, `${name}.png`) });
}

test('Chinese is drawn in the bundled font, loaded from the app itself, not as boxes', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  await open(page, 'zh-CN');
  await page.getByTestId('nav-models').click();
  await expect(page.getByTestId('models-inspector')).toBeVisible();
  await page.evaluate(() => (globalThis as unknown as Dom).document.fonts.ready);

  const fonts = await page.evaluate((family) => {
    const { document, getComputedStyle } = globalThis as unknown as Dom;
    const nav = document.querySelector('[data-testid="nav-models"]')!;
    const stack = getComputedStyle(nav).fontFamily;
    const loaded = [...document.fonts].filter((face) => face.family.replace(/["']/g, '') === family && face.status === 'loaded').length;
    // Without a font for them every CJK character is the same box: two different characters must
    // give two different pictures in the UI's font stack, and (on this machine) the same box in the
    // system's sans-serif alone, which shows that the emulation holds.
    const draw = (font: string, text: string) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      const context = canvas.getContext('2d');
      context.font = `48px ${font}`;
      context.fillText(text, 4, 52);
      return Array.from(context.getImageData(0, 0, 64, 64).data).join(',');
    };
    return {
      stack,
      loaded,
      chinese: (nav.textContent ?? '').replace(/[^\u4e00-\u9fff]/g, ''),
      ready: document.fonts.check(`14px "${family}"`, (nav.textContent ?? '').replace(/[^\u4e00-\u9fff]/g, '')),
      distinct: draw(stack, '中') !== draw(stack, '国') && draw(stack, '训') !== draw(stack, '练'),
      systemBoxes: draw('sans-serif', '中') === draw('sans-serif', '国'),
    };
  }, BUNDLED_FAMILY);
  expect(fonts.systemBoxes).toBe(true);
  expect(fonts.stack).toContain(BUNDLED_FAMILY);
  expect(fonts.loaded).toBeGreaterThan(0);
  // The sidebar's Chinese (模型) is covered by faces of the bundled family that have loaded.
  expect(fonts.chinese).toBe('模型');
  expect(fonts.ready).toBe(true);
  expect(fonts.distinct).toBe(true);

  // What Chromium actually drew the sidebar's two Chinese characters with: the bundled web font (its
  // files name the instance, "Noto Sans SC Thin", whatever weight the @font-face serves).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
  const { nodeId } = await cdp.send('DOM.querySelector', { nodeId: root.nodeId, selector: '[data-testid="nav-models"]' });
  const { fonts: used } = await cdp.send('CSS.getPlatformFontsForNode', { nodeId });
  expect(used).toContainEqual(expect.objectContaining({ familyName: expect.stringMatching(/^Noto Sans SC/), isCustomFont: true, glyphCount: 2 }));

  const origin = new URL(server.url).origin;
  expect(requests.filter((url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url))).toEqual([]);
  expect(requests.some((url) => url.startsWith(`${origin}/`) && url.endsWith('.woff2'))).toBe(true);
  await shot(page, 'looks-01-models-zh');
});

test("the inspector's total row stays on top of the layers it sums, in Chinese", async ({ page }) => {
  await open(page, 'zh-CN');
  await page.getByTestId('nav-models').click();
  await page.getByTestId('models-card-resnet').click();
  await page.getByTestId('models-variant').selectOption('resnet50');
  const table = page.locator('[data-testid="models-inspector"] .inspector__table');
  await expect(page.locator('[data-testid="models-inspector"] tbody tr[data-layer="conv5_block3_out"]')).toBeAttached();
  await page.evaluate(() => (globalThis as unknown as Dom).document.fonts.ready);
  // The whole scrolled box on screen, so that what is under each point can be asked.
  await table.evaluate((element: unknown) => (element as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'center' }));
  // Halfway down the layers, rows pass under the sticky footer.
  await table.evaluate((element: unknown) => {
    const wrap = element as DomElement;
    wrap.scrollTop = (wrap.scrollHeight - wrap.clientHeight) / 2;
  });
  await page.waitForTimeout(200);
  const layout = await table.evaluate((element: unknown) => {
    const wrap = element as DomElement;
    const { document } = globalThis as unknown as Dom;
    const footer = wrap.querySelector('tfoot tr')!;
    const row = footer.getBoundingClientRect();
    const box = wrap.getBoundingClientRect();
    const cells = Array.from(wrap.querySelectorAll('tfoot th, tfoot td')).map((cell) => cell.getBoundingClientRect());
    // What the eye sees at points across the footer row (in the scrolled box): the footer, never a
    // layer row behind it.
    const probes: string[] = [];
    for (const cell of cells) {
      const x = (Math.max(cell.left, box.left) + Math.min(cell.right, box.right)) / 2;
      if (x <= box.left + 2 || x >= box.right - 2) continue;
      for (const y of [cell.top + 2, (cell.top + cell.bottom) / 2, cell.bottom - 2]) {
        const hit = document.elementFromPoint(x, y);
        probes.push(hit?.closest('tfoot') ? 'footer' : `${Math.round(x)},${Math.round(y)}: ${(hit?.closest('tr')?.textContent ?? hit?.className ?? 'nothing').trim().slice(0, 40)}`);
      }
    }
    return {
      probes,
      tops: cells.map((cell) => Math.round(cell.top)),
      bottoms: cells.map((cell) => Math.round(cell.bottom)),
      wrapBottom: box.bottom,
      rowBottom: row.bottom,
      // Below the footer's own text, inside its bottom padding: only its background may show there.
      strip: { x: box.left + 2, y: Math.max(...cells.map((cell) => cell.bottom)) - 4, width: box.right - box.left - 4, height: 3 },
      overflow: (wrap as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth - (wrap as unknown as { clientWidth: number }).clientWidth,
    };
  });
  await shot(page, 'looks-02-inspector-zh');
  expect(layout.probes.filter((probe) => probe !== 'footer')).toEqual([]);
  // Rows pass under the footer at every phase of a scroll: at each, the footer's bottom padding
  // shows its background only (--surface-2 in the light scheme; a row's text is far darker).
  const stray: string[] = [];
  for (let scrollTop = 0; scrollTop <= 60; scrollTop += 4) {
    await table.evaluate((element: unknown, top: number) => ((element as DomElement).scrollTop = top), scrollTop);
    await page.waitForTimeout(50);
    const { data, info } = await sharp(await page.screenshot({ clip: layout.strip })).raw().toBuffer({ resolveWithObject: true });
    for (let offset = 0; offset < data.length; offset += info.channels) {
      const pixel = [data[offset], data[offset + 1], data[offset + 2]];
      if (Math.max(...pixel.map((value, channel) => Math.abs(value - [248, 250, 252][channel]))) > 24) stray.push(`${scrollTop}: ${pixel.join(',')}`);
    }
  }
  expect(stray.slice(0, 5)).toEqual([]);
  // Every column fits the card (layer names break rather than push the numbers out of sight), so
  // every footer cell was probed.
  expect(layout.overflow).toBeLessThanOrEqual(0);
  expect(layout.probes.length).toBe(3 * layout.tops.length);
  // One row: every cell spans the same height, flush with the bottom of the scrolled box.
  expect(new Set(layout.tops).size).toBe(1);
  expect(new Set(layout.bottoms).size).toBe(1);
  expect(Math.abs(layout.rowBottom - layout.wrapBottom)).toBeLessThanOrEqual(2);
});

for (const locale of ['en', 'zh-CN'] as const) {
  test(`every column of the Runs table is visible at 1440×900 (${locale})`, async ({ page }) => {
    await open(page, locale);
    await page.getByTestId('nav-runs').click();
    await expect(page.getByTestId(`run-row-${runId}`)).toBeVisible();
    for (const key of ['status', 'model', 'dataset', 'createdAt', 'trainAccuracy', 'valAccuracy', 'trainLoss', 'valLoss', 'backend', 'duration', 'best', 'testAccuracy']) {
      // In the viewport as IntersectionObserver sees it, which counts the table's own overflow clip.
      await expect(page.getByTestId(`sort-${key}`), key).toBeInViewport({ ratio: 1, timeout: 5_000 });
    }
    const cells = page.getByTestId(`run-row-${runId}`).locator('td');
    await expect(cells.last()).toBeInViewport({ ratio: 1, timeout: 5_000 });
    const overflow = await page.getByTestId('runs-table').evaluate((element: unknown) => {
      const wrap = (element as DomElement).parentElement as unknown as { scrollWidth: number; clientWidth: number };
      return wrap.scrollWidth - wrap.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, `looks-03-runs-${locale}`);
  });
}

/** Clicks a chart's PNG button; the saved file's name and its top-left pixel and opacity. */
async function exportChart(page: Page, testId: string): Promise<{ name: string; opaque: boolean; corner: number[] }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = await download.path();
  const image = sharp(path);
  const { isOpaque } = await image.stats();
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { name: download.suggestedFilename(), opaque: isOpaque, corner: [...data.subarray(0, info.channels)] };
}

test("exported charts are named after their title and run in the UI's language, and opaque in both schemes", async ({ page }) => {
  await open(page, 'en');
  await page.getByTestId('nav-runs').click();
  await page.getByTestId(`run-row-${runId}`).click();
  await expect(page.getByTestId('detail-title')).toHaveText('resnet20 · sigmoid');
  await expect.poll(async () => Number(await page.getByTestId('chart-loss').getAttribute('data-points'))).toBeGreaterThan(0);

  const english = await exportChart(page, 'chart-loss-png');
  expect(english.name).toBe('loss-resnet20-sigmoid.png');
  expect(english.opaque).toBe(true);
  expect(english.corner.slice(0, 3)).toEqual([255, 255, 255]);
  expect((await exportChart(page, 'chart-accuracy-png')).name).toBe('accuracy-resnet20-sigmoid.png');

  await page.getByTestId('lang-switch').selectOption('zh-CN');
  const chinese = await exportChart(page, 'chart-loss-png');
  expect(chinese.name).toBe('损失-resnet20-sigmoid.png');
  expect((await exportChart(page, 'chart-accuracy-png')).name).toBe('准确率-resnet20-sigmoid.png');

  // Dark: the dark surface behind the chart, not a transparent hole that turns black or white elsewhere.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(300);
  const dark = await exportChart(page, 'chart-loss-png');
  expect(dark.opaque).toBe(true);
  expect(dark.corner.slice(0, 3)).toEqual([0x11, 0x1a, 0x2e]);
});
