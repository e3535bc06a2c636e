import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalResult, EventMessage, RunSummary } from '../../../src-main/contract';
import { createRunLibrary, type RunLibrary } from '../../../src-main/core/run-library';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { RunStore } from '../../../src-main/store/runs';
import '../../../src-main/zoo';
import { buildMain, distMain, repoRoot } from '../helpers/build';
import { TINY_CLASSES, TINY_DATASET, waitFor, writeTinyDataset } from './helpers';

let home: string;
let workbench: Workbench;
let library: RunLibrary;
let runId: string;

function libraryFor(store: RunStore): RunLibrary {
  return createRunLibrary({
    store,
    datasetRoots: [join(dirname(store.runsDir), 'datasets'), join(repoRoot, 'resources', 'datasets')],
    workerEntry: join(distMain, 'train-worker.js'),
  });
}

async function ask<T>(promise: Promise<T> | T): Promise<T> {
  return promise;
}

beforeAll(async () => {
  buildMain();
  home = mkdtempSync(join(tmpdir(), 'cvb-eval-'));
  writeTinyDataset(home);
  workbench = await createWorkbench({ home, mode: 'test', resourcesDir: join(repoRoot, 'resources'), workerEntry: join(distMain, 'train-worker.js'), version: 'test' });
  const events: EventMessage[] = [];
  workbench.onEvent((event) => events.push(event));
  const started = await workbench.request('runs.start', { model: 'resnet20', dataset: TINY_DATASET, epochs: 2, batchSize: 8, learningRate: 0.05, optimizer: 'momentum' });
  if (!started.ok) throw new Error(started.error.message);
  runId = (started.value as RunSummary).id;
  await waitFor(() => events.find((e) => e.event === 'run.status' && e.data.runId === runId && e.data.status !== 'running' && e.data.status !== 'queued'), 180_000, 'the run to end');
  expect(workbench.store.read(runId).status).toBe('completed');
  library = libraryFor(workbench.store);
}, 240_000);

afterAll(async () => {
  library?.close();
  await workbench?.close();
});

describe('evaluation on the test split', () => {
  let result: EvalResult;

  it('evaluates the best checkpoint in a child process and saves it in eval/', async () => {
    result = await ask(library.handlers['runs.evaluate']({ id: runId, checkpoint: 'best' }));
    expect(result).toMatchObject({ runId, checkpoint: 'best', dataset: TINY_DATASET, classes: TINY_CLASSES, count: 60 });
    expect(result.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);
    const diagonal = result.confusion.reduce((sum, row, i) => sum + row[i], 0);
    expect(result.accuracy).toBeCloseTo(diagonal / 60, 10);
    expect(result.top5).not.toBeNull();
    expect(result.top5!).toBeGreaterThanOrEqual(result.accuracy);
    expect(result.perClass.map((c) => c.class)).toEqual(TINY_CLASSES);
    expect(result.perClass.every((c) => c.support === 10 && c.precision >= 0 && c.precision <= 1 && c.recall >= 0 && c.recall <= 1)).toBe(true);
    expect(existsSync(join(workbench.store.runDir(runId), 'eval', 'summary.json'))).toBe(true);
    expect(await ask(library.handlers['runs.evaluation']({ id: runId }))).toEqual(result);
    expect(workbench.store.summary(runId).test).toEqual({ accuracy: result.accuracy, top5: result.top5 });
  }, 120_000);

  it('shows the images of a confusion cell as PNGs, most confident first', async () => {
    // The fullest cell, so the test does not depend on how well the run learned.
    let actual = 0;
    let predicted = 0;
    result.confusion.forEach((row, i) => row.forEach((n, j) => n > result.confusion[actual][predicted] && ((actual = i), (predicted = j))));
    const cell = await ask(library.handlers['runs.evalImages']({ id: runId, actual, predicted, limit: 5 }));
    expect(cell.total).toBe(result.confusion[actual][predicted]);
    expect(cell.images).toHaveLength(Math.min(5, cell.total));
    const confidences = cell.images.map((image) => image.confidence);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    expect(cell.images.every((image) => image.label === actual && image.predicted === predicted)).toBe(true);
    const meta = await sharp(Buffer.from(cell.images[0].png, 'base64')).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 8, 8]);
    await expect(ask(library.handlers['runs.evalImages']({ id: runId, actual: 99, predicted: 0, limit: 5 }))).rejects.toMatchObject({ error: { field: 'actual' } });
  });

  it('exports the model in TF.js layers format that tf.loadLayersModel reads, with labels', async () => {
    const exported = await ask(library.handlers['runs.export']({ id: runId, kind: 'model', checkpoint: 'best', inline: true }));
    expect(exported.files?.map((f) => f.name).sort()).toEqual(['labels.json', 'model.json', 'preprocessing.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(exported.path, 'labels.json'), 'utf8'))).toEqual(TINY_CLASSES);
    const json = JSON.parse(readFileSync(join(exported.path, 'model.json'), 'utf8'));
    const weights = readFileSync(join(exported.path, 'weights.bin'));
    await tf.setBackend('cpu');
    const model = await loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
    const output = model.predict(tf.zeros([1, 8, 8, 1])) as tf.Tensor;
    expect(output.shape).toEqual([1, TINY_CLASSES.length]);
  });

  it('exports metrics as CSV and the run as an archive another workbench imports', async () => {
    const csv = await ask(library.handlers['runs.export']({ id: runId, kind: 'metrics', checkpoint: 'best', inline: true }));
    const text = Buffer.from(csv.files![0].data, 'base64').toString('utf8');
    expect(text.split('\n')[0]).toMatch(/^type,epoch,step,/);
    expect(text.split('\n').filter((line) => line.startsWith('epoch,')).length).toBe(2);

    const archive = await ask(library.handlers['runs.export']({ id: runId, kind: 'archive', checkpoint: 'best', inline: false }));
    expect(archive.path.endsWith('.cvbrun.tar.gz')).toBe(true);
    const otherHome = mkdtempSync(join(tmpdir(), 'cvb-laptop-'));
    const laptop = libraryFor(new RunStore(otherHome));
    const imported = await ask(laptop.handlers['runs.import']({ source: { path: archive.path } }));
    expect(imported).toMatchObject({ id: runId, status: 'completed', test: { accuracy: result.accuracy } });
    // The same archive again, into the same home: a new id.
    const again = await ask(laptop.handlers['runs.import']({ source: { data: readFileSync(archive.path).toString('base64') } }));
    expect(again.id).not.toBe(runId);
  });

  it('renames, tags and stars the run, then deletes it', async () => {
    const updated = await ask(library.handlers['runs.update']({ id: runId, name: 'baseline', tags: ['se', 'se', 'relu'], starred: true }));
    expect(updated).toMatchObject({ name: 'baseline', tags: ['se', 'relu'], starred: true });
    const cleared = await ask(library.handlers['runs.update']({ id: runId, name: '' }));
    expect(cleared.name).toBeNull();
    await expect(ask(library.handlers['runs.delete']({ id: 'no-such-run' }))).rejects.toThrow(/no run/);
    expect(await ask(library.handlers['runs.delete']({ id: runId }))).toEqual({ id: runId });
    expect(workbench.store.list().map((r) => r.id)).not.toContain(runId);
  });
});
