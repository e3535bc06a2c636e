/**
 * Core's run library (issue 6): a run's name, notes, tags and star; delete; evaluation on the
 * test split (in a child process) and the confusion cell browser; export of the model, the
 * metrics and the whole run folder; import of a run archive from another workbench.
 */
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  EXPORT_INLINE_MAX_BYTES,
  RecordedTrainConfigSchema,
  type BackendName,
  type CheckpointName,
  type EvalResult,
  type RunExportResponse,
} from '../contract';
import { channelStats } from '../data/batches';
import { encodePng } from '../data/augment';
import { memorySource } from '../data/cache';
import { loadDataset, openSplit, UnknownDatasetError } from '../data/datasets';
import { describePreprocessing, readPreprocessing, type Preprocessing } from '../data/preprocess';
import type { EvalReplyMessage, EvalRequestMessage } from '../infer/eval-process';
import { ARCHIVE_EXTENSION, ArchiveError, importRunArchive, writeRunArchive } from '../store/archive';
import { cellIndices, readEvalPredictions, readEvaluation } from '../store/evaluation';
import { exportMetricsCsv, exportModelFolder, MODEL_EXPORT_FILES } from '../store/export';
import { importRunFolder, RunFolderError } from '../export/import';
import { isActiveStatus, RunBusyError, RunStore, toSummary, type RunRecord } from '../store/runs';
import { planTraining } from '../train/loop';
import type { Handlers } from './handlers';
import { fail, guardedBy, WorkbenchError } from './errors';
import { forkWorker, type WorkerProcess } from './workers';

export type RunLibraryMethod = 'runs.update' | 'runs.delete' | 'runs.evaluate' | 'runs.evaluation' | 'runs.evalImages' | 'runs.export' | 'runs.import';

export interface RunLibraryOptions {
  store: RunStore;
  /** Where datasets are found (the dataset service's locations). */
  datasetRoots: string[];
  /** The bundled training worker (dist/main/train-worker.js); eval-process.js sits beside it. */
  workerEntry: string;
  workerExecPath?: string;
  workerEnv?: Record<string, string>;
  /** True while Core has a live training worker for the run (run.json may lag behind). */
  isRunning?: (id: string) => boolean;
  /** Where exports are written; default <home>/exports. */
  exportsDir?: string;
  backend?: BackendName;
}

export interface RunLibrary {
  handlers: Handlers<RunLibraryMethod>;
  /** Ends evaluations still running (the host is closing). */
  close(): void;
}

/** Library errors as contract errors; the rest (not found, bad id) Core's own mapping handles. */
function toWorkbenchError(error: unknown): unknown {
  if (error instanceof RunBusyError) return new WorkbenchError({ code: 'conflict', field: 'id', message: error.message });
  if (error instanceof ArchiveError) return new WorkbenchError({ code: 'invalid_request', field: 'source', message: error.message });
  if (error instanceof RunFolderError) return new WorkbenchError({ code: 'invalid_request', field: error.field, message: error.message });
  if (error instanceof UnknownDatasetError) return new WorkbenchError({ code: 'unavailable', field: 'id', message: `the run's dataset is not in this workbench: ${error.message}` });
  return error;
}

const guarded = guardedBy(toWorkbenchError);

export function createRunLibrary(options: RunLibraryOptions): RunLibrary {
  const { store } = options;
  const exportsDir = options.exportsDir ?? join(dirname(store.runsDir), 'exports');
  const locations = { roots: options.datasetRoots };
  const evaluations = new Map<string, { child: WorkerProcess<EvalRequestMessage, EvalReplyMessage>; result: Promise<EvalResult> }>();
  store.removeLeftovers();

  function isBusy(record: RunRecord): boolean {
    return isActiveStatus(record.status) || (options.isRunning?.(record.id) ?? false);
  }

  function evaluate(id: string, checkpoint: CheckpointName): Promise<EvalResult> {
    store.read(id);
    const running = evaluations.get(id);
    if (running) return running.result;
    const child = forkWorker<EvalRequestMessage, EvalReplyMessage>({ entry: join(dirname(options.workerEntry), 'eval-process.js'), execPath: options.workerExecPath, env: options.workerEnv });
    let reply: EvalReplyMessage | null = null;
    child.onMessage((message) => (reply = message));
    const result = child.exited.then((exit) => {
      evaluations.delete(id);
      const answer = reply as EvalReplyMessage | null;
      if (answer?.type === 'done') return answer.result;
      if (answer?.type === 'failed') {
        const code = answer.code === 'not_found' || answer.code === 'unavailable' ? answer.code : 'internal';
        return fail({ code, field: 'id', message: answer.error });
      }
      return fail({ code: 'internal', message: `the evaluation process ${child.describeExit(exit)}` });
    });
    child.send({ type: 'evaluate', home: dirname(store.runsDir), runId: id, datasetRoots: options.datasetRoots, checkpoint, backend: options.backend });
    evaluations.set(id, { child, result });
    return result;
  }

  async function cellImages(id: string, actual: number, predicted: number, limit: number) {
    const runDir = store.runDir(id);
    store.read(id);
    const evaluation = readEvaluation(runDir);
    const predictions = readEvalPredictions(runDir);
    if (!evaluation || !predictions) return fail({ code: 'not_found', field: 'id', message: `run "${id}" has not been evaluated yet` });
    const classes = evaluation.classes.length;
    if (actual >= classes) fail({ code: 'invalid_request', field: 'actual', message: `actual: the run has ${classes} classes (received ${actual})` });
    if (predicted >= classes) fail({ code: 'invalid_request', field: 'predicted', message: `predicted: the run has ${classes} classes (received ${predicted})` });
    const indices = cellIndices(predictions, actual, predicted);
    const shown = indices.slice(0, limit);
    if (shown.length === 0) return { total: 0, images: [] };
    const opened = await openSplit(locations, evaluation.dataset, 'test');
    const source = opened.reader ?? memorySource(opened.split!);
    try {
      if (source.count !== predictions.labels.length) {
        fail({ code: 'conflict', field: 'id', message: `the test split of "${evaluation.dataset}" changed since the evaluation (${source.count} images, was ${predictions.labels.length}); evaluate again` });
      }
      const [height, width, channels] = opened.info.input;
      const pixels = new Uint8Array(shown.length * source.imageBytes);
      await source.read(shown, pixels);
      const images = await Promise.all(
        shown.map(async (index, n) => ({
          index,
          label: predictions.labels[index],
          predicted: predictions.predicted[index],
          confidence: predictions.confidence[index],
          png: Buffer.from(await encodePng(pixels.subarray(n * source.imageBytes, (n + 1) * source.imageBytes), height, width, channels)).toString('base64'),
        })),
      );
      return { total: indices.length, images };
    } finally {
      await opened.reader?.close();
    }
  }

  /** The checkpoint's preprocessing.json, else the run folder's, else computed again as training did. */
  async function preprocessingOf(record: RunRecord, checkpointDir: string): Promise<Preprocessing> {
    const saved = readPreprocessing(checkpointDir) ?? readPreprocessing(store.runDir(record.id));
    if (saved) return saved;
    const config = RecordedTrainConfigSchema.parse(record.config);
    const dataset = await loadDataset(locations, config.dataset);
    const { trainIndices } = planTraining(config, dataset.train, dataset.val);
    const norm = channelStats(dataset.train, dataset.info.input[2], trainIndices);
    return describePreprocessing(dataset.info.input, dataset.info.classes, norm);
  }

  function checkpointDirOf(id: string, wanted: CheckpointName): string {
    const order: CheckpointName[] = wanted === 'best' ? ['best', 'last'] : ['last'];
    for (const name of order) {
      const dir = join(store.runDir(id), 'checkpoints', name);
      if (existsSync(join(dir, 'model.json'))) return dir;
    }
    return fail({ code: 'not_found', field: 'checkpoint', message: `run "${id}" has no ${wanted} checkpoint yet: it is saved at the end of each epoch and when a run stops` });
  }

  function inlineFiles(paths: { name: string; path: string }[], bytes: number): { name: string; data: string }[] {
    if (bytes > EXPORT_INLINE_MAX_BYTES) {
      fail({
        code: 'invalid_request',
        field: 'inline',
        message: `inline: the export is ${(bytes / 1024 / 1024).toFixed(1)} MiB, over the ${EXPORT_INLINE_MAX_BYTES / 1024 / 1024} MiB a download can carry; it was written on the host at ${dirname(paths[0].path)}`,
      });
    }
    return paths.map(({ name, path }) => ({ name, data: readFileSync(path).toString('base64') }));
  }

  async function exportRun(id: string, kind: 'model' | 'metrics' | 'archive', checkpoint: CheckpointName, inline: boolean): Promise<RunExportResponse> {
    const record = store.read(id);
    mkdirSync(exportsDir, { recursive: true });
    if (kind === 'metrics') {
      const path = join(exportsDir, `${id}-metrics.csv`);
      const bytes = exportMetricsCsv(store.readMetrics(id), path);
      return { path, bytes, ...(inline ? { files: inlineFiles([{ name: `${id}-metrics.csv`, path }], bytes) } : {}) };
    }
    if (kind === 'model') {
      const dir = checkpointDirOf(id, checkpoint);
      const path = join(exportsDir, `${id}-model`);
      const bytes = exportModelFolder(dir, path, await preprocessingOf(record, dir));
      return { path, bytes, ...(inline ? { files: inlineFiles(MODEL_EXPORT_FILES.map((name) => ({ name, path: join(path, name) })), bytes) } : {}) };
    }
    if (isBusy(record)) fail({ code: 'conflict', field: 'id', message: `run "${id}" is ${record.status}; stop it (or let it finish) before archiving it` });
    const name = `${id}${ARCHIVE_EXTENSION}`;
    const path = join(exportsDir, name);
    const bytes = await writeRunArchive(store.runDir(id), path);
    return { path, bytes, ...(inline ? { files: inlineFiles([{ name, path }], bytes) } : {}) };
  }

  return {
    close() {
      for (const { child } of evaluations.values()) child.child.kill('SIGKILL');
    },
    handlers: {
      'runs.update': guarded(({ id, name, notes, tags, starred }) => {
        const patch = {
          ...(name !== undefined ? { name: name ? name : null } : {}),
          ...(notes !== undefined ? { notes } : {}),
          ...(tags !== undefined ? { tags: [...new Set(tags)] } : {}),
          ...(starred !== undefined ? { starred } : {}),
        };
        store.updateMeta(id, patch);
        return store.summary(id);
      }),
      'runs.delete': guarded(({ id }) => {
        if (options.isRunning?.(id)) fail({ code: 'conflict', field: 'id', message: `run "${id}" is running; stop it before deleting it` });
        if (evaluations.has(id)) fail({ code: 'conflict', field: 'id', message: `run "${id}" is being evaluated; try again when it ends` });
        store.delete(id);
        return { id };
      }),
      'runs.evaluate': guarded(({ id, checkpoint }) => evaluate(id, checkpoint)),
      'runs.evaluation': guarded(({ id }) => {
        store.read(id);
        return readEvaluation(store.runDir(id));
      }),
      'runs.evalImages': guarded(({ id, actual, predicted, limit }) => cellImages(id, actual, predicted, limit)),
      'runs.export': guarded(({ id, kind, checkpoint, inline }) => exportRun(id, kind, checkpoint, inline)),
      'runs.import': guarded(async ({ source }) => {
        let record: RunRecord;
        if ('path' in source) {
          if (!existsSync(source.path)) fail({ code: 'not_found', field: 'source.path', message: `source.path: no file or folder at ${source.path}` });
          // A folder is a run folder, e.g. the one a PyTorch job wrote (export/import.ts).
          record = statSync(source.path).isDirectory() ? importRunFolder(store, source.path) : await importRunArchive(store, createReadStream(source.path));
        } else {
          record = await importRunArchive(store, Buffer.from(source.data, 'base64'));
        }
        return { ...toSummary(record), ...store.summary(record.id) };
      }),
    },
  };
}
