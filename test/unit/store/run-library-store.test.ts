import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type MetricEvent } from '../../../src-main/contract';
import { MAX_TAR_META_BYTES, packTar } from '../../../src-main/data/tar';
import { tarOf } from '../helpers/tar';
import { ArchiveError, importRunArchive, unsafeEntryReason, writeRunArchive } from '../../../src-main/store/archive';
import { benchmarkRunList } from '../../../src-main/store/bench';
import { cellIndices, readEvaluation, writeEvaluation } from '../../../src-main/store/evaluation';
import { exportModelFolder, metricsToCsv } from '../../../src-main/store/export';
import { MetricsAppender, RunBusyError, RunNotFoundError, RunStore } from '../../../src-main/store/runs';

const config = TrainConfigSchema.parse({ model: 'resnet20', epochs: 2, batchSize: 32, learningRate: 0.01 });

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

describe('run metadata', () => {
  let store: RunStore;
  beforeEach(() => {
    store = new RunStore(tmp('cvb-meta-'));
  });

  it('renames, tags, stars and annotates a finished run in run.json, without a meta.json', () => {
    const { id } = store.create(config, {});
    store.update(id, { status: 'completed' });
    store.updateMeta(id, { name: 'with SE', tags: ['se', 'baseline'], starred: true, notes: 'lr 0.1' });
    const raw = JSON.parse(readFileSync(join(store.runDir(id), 'run.json'), 'utf8'));
    expect(raw.meta).toEqual({ name: 'with SE', tags: ['se', 'baseline'], starred: true, notes: 'lr 0.1' });
    expect(existsSync(join(store.runDir(id), 'meta.json'))).toBe(false);
    const summary = store.summary(id);
    expect([summary.name, summary.tags, summary.starred, summary.notes]).toEqual(['with SE', ['se', 'baseline'], true, 'lr 0.1']);
  });

  it("lists a run with the switches it set, so runs of one model can be told apart", () => {
    const sigmoid = store.create(TrainConfigSchema.parse({ ...config, modelOptions: { activation: 'sigmoid' } }), {});
    const plain = store.create(config, {});
    expect(store.summary(sigmoid.id).modelOptions).toEqual({ activation: 'sigmoid' });
    expect(store.summary(plain.id).modelOptions).toEqual({});
  });

  it('keeps the metadata of a running run in meta.json and never rewrites its run.json', () => {
    const { id } = store.create(config, {});
    store.update(id, { status: 'running', workerPid: 12345 });
    const before = readFileSync(join(store.runDir(id), 'run.json'), 'utf8');
    store.updateMeta(id, { name: 'live', starred: true });
    expect(readFileSync(join(store.runDir(id), 'run.json'), 'utf8')).toBe(before);
    expect(store.read(id).meta).toMatchObject({ name: 'live', starred: true });
    // The worker's own rewrite (status, steps) keeps the user's edit: read merges meta.json.
    store.update(id, { steps: 10 });
    store.updateMeta(id, { notes: 'going well' });
    expect(store.read(id)).toMatchObject({ steps: 10, meta: { name: 'live', starred: true, notes: 'going well' } });
    // After the run, the next edit folds meta.json into run.json.
    store.update(id, { status: 'completed', workerPid: null });
    store.updateMeta(id, { tags: ['done'] });
    expect(existsSync(join(store.runDir(id), 'meta.json'))).toBe(false);
    expect(store.read(id).meta).toEqual({ name: 'live', starred: true, notes: 'going well', tags: ['done'] });
  });

  it('ignores a damaged meta.json instead of hiding the run', () => {
    const { id } = store.create(config, {});
    writeFileSync(join(store.runDir(id), 'meta.json'), '{"name": "tr');
    expect(store.list()[0].damaged).toBeNull();
  });

  it('deletes a finished or damaged run, refuses a running one, and cleans up a half-done delete', () => {
    const done = store.create(config, {});
    store.update(done.id, { status: 'completed' });
    const running = store.create(config, {}, new Date(Date.now() + 1000));
    store.update(running.id, { status: 'running' });
    const damaged = store.create(config, {}, new Date(Date.now() + 2000));
    writeFileSync(join(store.runDir(damaged.id), 'run.json'), '{');
    store.delete(done.id);
    store.delete(damaged.id);
    expect(() => store.delete(running.id)).toThrow(RunBusyError);
    expect(() => store.delete('no-such-run')).toThrow(RunNotFoundError);
    expect(store.list().map((r) => r.id)).toEqual([running.id]);
    mkdirSync(join(store.runsDir, '.deleted-x-1234', 'checkpoints'), { recursive: true });
    store.removeLeftovers();
    expect(readdirSync(store.runsDir)).toEqual([running.id]);
  });

  it('lists the best checkpoint score and the test accuracy with each run', () => {
    const { id } = store.create(config, {});
    mkdirSync(join(store.runDir(id), 'checkpoints', 'best'), { recursive: true });
    writeFileSync(join(store.runDir(id), 'checkpoints', 'best', 'state.json'), JSON.stringify({ best: { metric: 'valAccuracy', score: 0.91, epoch: 3 } }));
    mkdirSync(join(store.runDir(id), 'eval'));
    writeFileSync(join(store.runDir(id), 'eval', 'summary.json'), JSON.stringify({ accuracy: 0.88, top5: 0.99 }));
    expect(store.list()[0]).toMatchObject({ best: { metric: 'valAccuracy', score: 0.91, epoch: 3 }, test: { accuracy: 0.88, top5: 0.99 } });
  });
});

describe('run archives', () => {
  function runWithFiles(store: RunStore) {
    const record = store.create(config, { workbench: '1' });
    store.update(record.id, { status: 'completed' });
    store.updateMeta(record.id, { name: 'exported', tags: ['gpu-box'] });
    const appender = new MetricsAppender(join(store.runDir(record.id), 'metrics.jsonl'));
    appender.append({ type: 'step', step: 1, epoch: 1, loss: 2, accuracy: 0.1, learningRate: 0.01, imagesPerSec: 10, time: 1 });
    appender.close();
    const best = join(store.runDir(record.id), 'checkpoints', 'best');
    mkdirSync(best, { recursive: true });
    writeFileSync(join(best, 'weights.bin'), Buffer.alloc(70_000, 7));
    writeFileSync(join(best, 'model.json'), '{"modelTopology":{}}');
    // A deep path over 100 bytes exercises the long-name records.
    const deep = join(store.runDir(record.id), 'eval', 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'file.txt'), 'deep');
    return record;
  }

  it('round-trips a run folder, and gives the import a new id when the id is taken', async () => {
    const source = new RunStore(tmp('cvb-arch-src-'));
    const record = runWithFiles(source);
    const file = join(tmp('cvb-arch-out-'), 'run.cvbrun.tar.gz');
    const bytes = await writeRunArchive(source.runDir(record.id), file);
    expect(bytes).toBeGreaterThan(0);

    const target = new RunStore(tmp('cvb-arch-dst-'));
    const first = await importRunArchive(target, readFileSync(file));
    expect(first.id).toBe(record.id);
    expect(first.meta).toMatchObject({ name: 'exported', tags: ['gpu-box'] });
    expect(target.readMetrics(first.id)).toHaveLength(1);
    expect(readFileSync(join(target.runDir(first.id), 'checkpoints', 'best', 'weights.bin')).equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(readFileSync(join(target.runDir(first.id), 'eval', 'x'.repeat(60), 'y'.repeat(60), 'file.txt'), 'utf8')).toBe('deep');

    const second = await importRunArchive(target, Readable.from([readFileSync(file)]));
    expect(second.id).not.toBe(record.id);
    expect(target.read(second.id).id).toBe(second.id);
    expect(target.list()).toHaveLength(2);
    expect(readdirSync(target.runsDir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('leaves hidden temporaries and symbolic links out of an archive', async () => {
    const store = new RunStore(tmp('cvb-arch-links-'));
    const record = runWithFiles(store);
    writeFileSync(join(store.runDir(record.id), '.run.json.abc.tmp'), 'x');
    symlinkSync('/etc/passwd', join(store.runDir(record.id), 'passwd'));
    const file = join(tmp('cvb-arch-out-'), 'a.tar.gz');
    await writeRunArchive(store.runDir(record.id), file);
    const target = new RunStore(tmp('cvb-arch-dst-'));
    const imported = await importRunArchive(target, readFileSync(file));
    expect(existsSync(join(target.runDir(imported.id), 'passwd'))).toBe(false);
    expect(existsSync(join(target.runDir(imported.id), '.run.json.abc.tmp'))).toBe(false);
  });

  const runJson = (id = 'r1') => Buffer.from(JSON.stringify({ id, config, status: 'running', createdAt: '', versions: {}, final: {} }));

  it.each([
    ['../evil', 'climbs out'],
    ['run/../../evil', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['run\\..\\evil', 'backslash'],
    ['elsewhere/file', 'not inside'],
    ['C:/windows', 'absolute'],
  ])('refuses the entry %s before writing anything', async (name, reason) => {
    expect(unsafeEntryReason(name)).toMatch(reason);
    const archive = gzipSync(await tarOf([{ name: 'run/run.json', data: runJson() }, { name, data: Buffer.from('x') }]));
    const target = new RunStore(tmp('cvb-arch-bad-'));
    await expect(importRunArchive(target, archive)).rejects.toThrow(ArchiveError);
    expect(readdirSync(target.runsDir)).toEqual([]);
  });

  it('refuses symbolic and hard links, garbage and truncated archives', async () => {
    const link = await tarOf([{ name: 'run/run.json', data: runJson() }, { name: 'run/link', type: 'symlink', linkname: '/etc/passwd' }]);
    const hardLink = await tarOf([{ name: 'run/run.json', data: runJson() }, { name: 'run/hard', type: 'link', linkname: 'run/run.json' }]);
    const target = new RunStore(tmp('cvb-arch-link-'));
    await expect(importRunArchive(target, gzipSync(link))).rejects.toThrow(/"run\/link" is a symbolic link/);
    await expect(importRunArchive(target, gzipSync(hardLink))).rejects.toThrow(/"run\/hard" is a hard link/);
    await expect(importRunArchive(target, Buffer.from('not an archive'))).rejects.toThrow(ArchiveError);
    const whole = gzipSync(await tarOf([{ name: 'run/run.json', data: runJson() }, { name: 'run/big', data: Buffer.alloc(5000) }]));
    await expect(importRunArchive(target, whole.subarray(0, whole.length - 40))).rejects.toThrow(/truncated|cut short/);
    await expect(importRunArchive(target, gzipSync(await tarOf([{ name: 'run/metrics.jsonl', data: Buffer.from('') }])))).rejects.toThrow(/no run\/run.json/);
    expect(readdirSync(target.runsDir)).toEqual([]);
  });

  it('reads a long name from its pax record whole, and writes one for a name over 255 bytes', async () => {
    const long = `run/eval/${'n'.repeat(150)}/${'m'.repeat(150)}/file.txt`;
    const archive = await tarOf([{ name: 'run/run.json', data: runJson('20250101-000000-pax-abcdef') }, { name: long, data: Buffer.from('whole') }]);
    // The second entry's header is a pax record (type 'x') that carries the path.
    const paxHeader = archive.subarray(1024, 1536);
    expect(String.fromCharCode(paxHeader[156])).toBe('x');
    expect(archive.includes(Buffer.from(`path=${long}`))).toBe(true);
    const target = new RunStore(tmp('cvb-arch-pax-'));
    const imported = await importRunArchive(target, gzipSync(archive));
    expect(readFileSync(join(target.runDir(imported.id), long.slice('run/'.length)), 'utf8')).toBe('whole');
  });

  it('refuses an archive that unpacks over the size cap, naming the entry, and keeps nothing of it', async () => {
    const archive = gzipSync(await tarOf([{ name: 'run/run.json', data: runJson() }, { name: 'run/big.bin', data: Buffer.alloc(5000) }]));
    const target = new RunStore(tmp('cvb-arch-big-'));
    await expect(importRunArchive(target, archive, 4096)).rejects.toThrow(/"run\/big.bin" takes the archive over 4,096 bytes unpacked/);
    expect(readdirSync(target.runsDir)).toEqual([]);
    expect((await importRunArchive(target, archive, 8192)).id).toBe('r1');
  });

  it('refuses a pax record over the cap, naming the entry, after files were already unpacked, and keeps nothing', async () => {
    const archive = await buffer(
      packTar([
        { header: { name: 'run/run.json', size: runJson().length }, body: runJson() },
        { header: { name: 'run/notes.txt', size: 1, pax: { comment: 'x'.repeat(MAX_TAR_META_BYTES) } }, body: Buffer.from('n') },
      ]),
    );
    const target = new RunStore(tmp('cvb-arch-paxcap-'));
    await expect(importRunArchive(target, gzipSync(archive))).rejects.toThrow(ArchiveError);
    await expect(importRunArchive(target, gzipSync(archive))).rejects.toThrow(/tar entry "run\/notes.txt" has a pax header of 65,5\d\d bytes/);
    expect(readdirSync(target.runsDir)).toEqual([]);
  });

  it('imports a run that was running where it was archived as interrupted', async () => {
    const target = new RunStore(tmp('cvb-arch-live-'));
    const imported = await importRunArchive(target, gzipSync(await tarOf([{ name: 'run/run.json', data: runJson('20250101-000000-live-abcdef') }])));
    expect(imported.status).toBe('interrupted');
    expect(imported.id).toBe('20250101-000000-live-abcdef');
  });
});

describe('exports', () => {
  it('writes metrics as CSV, one row per step and epoch line', () => {
    const metrics: MetricEvent[] = [
      { type: 'step', step: 1, epoch: 1, loss: 2.5, accuracy: 0.25, learningRate: 0.1, imagesPerSec: 50, time: 1.5 },
      { type: 'grads', step: 1, epoch: 1, layers: { a: 1 }, time: 1.5 },
      { type: 'epoch', epoch: 1, step: 1, trainLoss: 2.5, trainAccuracy: 0.25, valLoss: null, valAccuracy: null, time: 2, best: true },
    ];
    const lines = metricsToCsv(metrics).trim().split('\n');
    expect(lines[0]).toBe('type,epoch,step,time,loss,accuracy,top5Accuracy,learningRate,imagesPerSec,gradNorm,trainLoss,trainAccuracy,valLoss,valAccuracy,partial,best');
    expect(lines[1]).toBe('step,1,1,1.5,2.5,0.25,,0.1,50,,,,,,,');
    expect(lines[2]).toBe('epoch,1,1,2,,,,,,,2.5,0.25,,,,1');
    expect(lines).toHaveLength(3);
  });

  it('exports a checkpoint as a TF.js layers model with labels and preprocessing', () => {
    const checkpoint = tmp('cvb-ckpt-');
    writeFileSync(join(checkpoint, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Model' }, weightsManifest: [{ paths: ['weights.bin'], weights: [] }] }));
    writeFileSync(join(checkpoint, 'weights.bin'), Buffer.alloc(16));
    const target = join(tmp('cvb-export-'), 'model');
    const preprocessing = { version: 1, input: [28, 28, 1] as [number, number, number], classes: ['a', 'b'], mean: [0.5], std: [0.25], resize: 'squash' as const, background: 'white' as const };
    const bytes = exportModelFolder(checkpoint, target, preprocessing);
    expect(readdirSync(target).sort()).toEqual(['labels.json', 'model.json', 'preprocessing.json', 'weights.bin']);
    expect(bytes).toBeGreaterThan(16);
    const model = JSON.parse(readFileSync(join(target, 'model.json'), 'utf8'));
    expect(model.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(model.userDefinedMetadata.classes).toEqual(['a', 'b']);
    expect(JSON.parse(readFileSync(join(target, 'labels.json'), 'utf8'))).toEqual(['a', 'b']);
  });
});

describe('evaluation files', () => {
  it('orders a confusion cell by confidence, most confidently wrong first, and round-trips the summary', () => {
    const predictions = { evaluatedAt: 'now', labels: [0, 0, 1, 0, 0], predicted: [1, 1, 1, 0, 1], confidence: [0.6, 0.99, 0.7, 0.8, 0.75] };
    expect(cellIndices(predictions, 0, 1)).toEqual([1, 4, 0]);
    expect(cellIndices(predictions, 1, 0)).toEqual([]);
    const dir = tmp('cvb-eval-');
    const result = {
      runId: 'r1', checkpoint: 'best' as const, epoch: 1, step: 10, dataset: 'd', classes: ['a', 'b'], count: 5, accuracy: 0.4, top5: null,
      perClass: [{ class: 'a', precision: 1, recall: 0.25, support: 4 }, { class: 'b', precision: 0.25, recall: 1, support: 1 }],
      confusion: [[1, 3], [0, 1]], evaluatedAt: 'now', ms: 5,
    };
    writeEvaluation(dir, result, predictions);
    expect(readEvaluation(dir)).toEqual(result);
  });
});

describe('1,000-run list benchmark', () => {
  it('creates the runs and times list()', () => {
    const result = benchmarkRunList({ count: 50, repeats: 2 });
    expect(result.runs).toBe(50);
    expect(result.listMs).toHaveLength(2);
  });
});
