// The README's screenshots, taken from real runs: `npm run screenshots` (after `npm run build`).
// Trains resnet20 twice on the bundled Fashion-MNIST subset (ReLU, then sigmoid: the comparison the
// README shows), starts `cvb serve` on a temporary home, and photographs each screen in Debian's
// Chromium. Takes about five minutes on a 2-core machine; writes docs/screenshots/*.png.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { launchChromium, startServe } from './lib/serve-chromium.mjs';

/** The first test image of a class from the bundled IDX files (9 = Ankle boot), as raw pixels. */
function testImage(label) {
  const dir = join('resources', 'datasets', 'fashion-mnist-subset');
  const images = gunzipSync(readFileSync(join(dir, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(dir, 't10k-labels-idx1-ubyte.gz')));
  const index = labels.subarray(8).indexOf(label);
  return images.subarray(16 + index * 784, 16 + (index + 1) * 784);
}

const out = join('docs', 'screenshots');
mkdirSync(out, { recursive: true });
// CVB_SHOTS_HOME reuses a home from an earlier run (its two trained runs) instead of training again.
const home = process.env.CVB_SHOTS_HOME ?? mkdtempSync(join(tmpdir(), 'cvb-shots-'));
const cli = join('dist', 'main', 'cli.js');

function train(label, args) {
  console.log(`training ${label}…`);
  const result = spawnSync(process.execPath, [cli, 'train', '--model', 'resnet20', '--epochs', '2', '--batch-size', '32', '--lr', '0.002', '--max-steps', '400', '--home', home, '--json', ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`training ${label} failed:\n${result.stdout.slice(-2000)}\n${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)).runId;
}

function existingRun(activation) {
  const result = spawnSync(process.execPath, [cli, 'runs', 'list', '--json', '--home', home], { encoding: 'utf8' });
  const runs = JSON.parse(result.stdout.trim().split('\n').at(-1));
  return runs.find((run) => run.status === 'completed' && (run.name ?? '').endsWith(activation === 'sigmoid' ? 'sigmoid' : 'ReLU'))?.id;
}

const relu = (process.env.CVB_SHOTS_HOME && existingRun('relu')) || train('resnet20 (ReLU)', []);
const sigmoid = (process.env.CVB_SHOTS_HOME && existingRun('sigmoid')) || train('resnet20 (sigmoid)', ['--option', 'activation=sigmoid']);
spawnSync(process.execPath, [cli, 'runs', 'update', relu, '--name', 'resnet20 · ReLU', '--home', home]);
spawnSync(process.execPath, [cli, 'runs', 'update', sigmoid, '--name', 'resnet20 · sigmoid', '--home', home]);

const { server, url } = await startServe(home, cli);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const shot = (name) => page.screenshot({ path: join(out, `${name}.png`) });
  await page.goto(url);
  await page.getByTestId('connection-status').and(page.locator('[data-state="connected"]')).waitFor();

  // The first minutes: the untouched form (a model that fits the bundled data), then one that does not fit.
  await page.getByTestId('start-button').and(page.locator(':enabled')).waitFor();
  await page.waitForTimeout(500);
  await shot('01-default-form');
  await page.getByTestId('field-model').selectOption('alexnet');
  await page.getByTestId('fit-problem').waitFor();
  await page.waitForTimeout(500);
  await shot('01-does-not-fit');

  // Train: a live run.
  await page.getByTestId('field-model').selectOption('resnet20');
  await page.waitForTimeout(1000);
  await page.getByTestId('field-batchSize').fill('0');
  await page.getByTestId('error-batchSize').and(page.locator(':not(:empty)')).waitFor();
  await page.waitForTimeout(500);
  await shot('02-invalid-field');
  await page.getByTestId('field-batchSize').fill('32');
  // Advanced: each batch of 32 split across 4 threads leaves shares of 8 images, and the form says so.
  await page.getByTestId('advanced-toggle').click();
  await page.getByTestId('field-threads').fill('4');
  await page.getByTestId('field-dataParallel').check();
  await page.getByTestId('note-dataParallel').scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);
  await shot('15-split-warning');
  await page.getByTestId('field-dataParallel').uncheck();
  await page.getByTestId('field-threads').fill('');
  await page.getByTestId('advanced-toggle').click();
  // Back to the top of the screen, whichever element scrolled to show the note.
  await page.evaluate(() => document.querySelectorAll('*').forEach((element) => element.scrollTop > 0 && element.scrollTo(0, 0)));
  await page.getByTestId('field-epochs').fill('3');
  await page.getByTestId('start-button').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-loss"]')?.getAttribute('data-points')) > 60, null, { timeout: 180_000 });
  await shot('03-training');
  await page.getByTestId('stop-button').click();
  await page.getByTestId('start-button').and(page.locator(':enabled')).waitFor({ timeout: 120_000 });

  // Runs, a run's detail (with its test-set evaluation), and the comparison of the two switches.
  await page.getByTestId('nav-runs').click();
  await page.getByTestId(`run-row-${relu}`).waitFor();
  await shot('04-runs');
  await page.getByTestId(`run-row-${relu}`).click();
  await page.getByTestId('run-detail').waitFor();
  await page.waitForTimeout(1500);
  await shot('05-run-detail');
  await page.getByTestId('nav-runs').click();
  await page.getByTestId(`select-${relu}`).check();
  await page.getByTestId(`select-${sigmoid}`).check();
  await page.getByTestId('compare-button').click();
  await page.getByTestId('compare-screen').waitFor();
  await page.waitForTimeout(1500);
  await shot('07-compare');

  // Models: ResNet-50's inspector and block diagram.
  await page.getByTestId('nav-models').click();
  await page.getByTestId('models-card-resnet').click();
  await page.getByTestId('models-variant').selectOption('resnet50');
  await page.getByTestId('models-inspector').waitFor();
  await page.waitForTimeout(800);
  await shot('08-models');

  // Datasets: the bundled subset.
  await page.getByTestId('nav-datasets').click();
  await page.getByTestId('dataset-row-fashion-mnist-subset').click();
  await page.getByTestId('dataset-samples').waitFor();
  await page.waitForTimeout(1500);
  await shot('09-datasets');

  // Inference: a test image from the bundled set, through the ReLU run, with Grad-CAM.
  await page.getByTestId('nav-inference').click();
  await page.getByTestId('inference-drop').waitFor();
  const picture = await sharp(testImage(9), { raw: { width: 28, height: 28, channels: 1 } }).resize(224, 224, { kernel: 'nearest' }).png().toBuffer();
  await page.getByTestId('inference-file-input').setInputFiles({ name: 'ankle-boot.png', mimeType: 'image/png', buffer: picture });
  await page.getByTestId('inference-result').first().and(page.locator('[data-state="done"]')).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(800);
  await shot('06-inference');

  // 中文, in the font the app ships: inception_v3's inspector with its two parameter counts, and the runs.
  await page.getByTestId('lang-switch').selectOption('zh-CN');
  await page.getByTestId('nav-models').click();
  await page.getByTestId('models-card-inception').click();
  await page.getByTestId('models-variant').selectOption('inception_v3');
  await page.getByTestId('models-total-trainableTraining').waitFor();
  await page.getByTestId('models-inspector').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(800);
  await shot('11-models-zh');
  await page.getByTestId('nav-runs').click();
  await page.getByTestId(`run-row-${relu}`).waitFor();
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(800);
  await shot('12-runs-zh');
  console.log(`screenshots written to ${out}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
