/**
 * Core's dataset methods: the bundled sets and the ones imported into the home folder; imports
 * with progress events and cancel; the catalog of standard datasets; samples for the screen.
 */
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { DatasetDetail, DatasetImportResult, DatasetInfo, EventMessage, EventOf, ParsedRequestOf } from '../contract';
import { CATALOG, catalogEntry, DownloadError, downloadCatalogEntry, downloadedFiles } from '../data/catalog';
import { deleteDataset, findDatasetDirs, getDataset, listDatasets, ReadOnlyDatasetError, UnknownDatasetError, type DatasetLocations } from '../data/datasets';
import { ImportCancelledError, ImportError, importDataset, removeStaleImports, type ImportProgress } from '../data/import';
import { datasetAugmentationPreview, datasetSamples } from '../data/samples';
import type { Handlers } from './handlers';
import { fail, guardedBy, WorkbenchError } from './errors';

export type DatasetMethod =
  | 'datasets.list'
  | 'datasets.get'
  | 'datasets.import'
  | 'datasets.cancelImport'
  | 'datasets.delete'
  | 'datasets.samples'
  | 'datasets.previewAugmentation'
  | 'datasets.catalog';

export interface DatasetService {
  locations: DatasetLocations;
  list(): Promise<DatasetInfo[]>;
  handlers: Handlers<DatasetMethod>;
  /** Cancels every running import (the host is closing). */
  cancelAll(): void;
}

export interface DatasetServiceOptions {
  /** Replaces the catalog's download mirrors (tests serve fixtures from a local server). */
  catalogMirrors?: Partial<Record<string, string[]>>;
  /** Minimum time between two progress events of one import. */
  progressIntervalMs?: number;
}

/** Dataset errors as contract errors; anything unexpected stays an internal error. */
function toWorkbenchError(error: unknown): unknown {
  if (error instanceof UnknownDatasetError) return new WorkbenchError({ code: 'not_found', field: 'id', message: error.message });
  if (error instanceof ReadOnlyDatasetError) return new WorkbenchError({ code: 'conflict', field: 'id', message: error.message });
  if (error instanceof ImportCancelledError) return new WorkbenchError({ code: 'conflict', message: error.message });
  if (error instanceof ImportError) return new WorkbenchError({ code: 'invalid_request', field: 'source', message: error.message });
  if (error instanceof DownloadError) return new WorkbenchError({ code: 'unavailable', field: 'source', message: error.message });
  if (error instanceof RangeError) return new WorkbenchError({ code: 'invalid_request', field: 'index', message: error.message });
  return error;
}

const guarded = guardedBy(toWorkbenchError);

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function createDatasetService(home: string, resourcesDir: string, emit: (message: EventMessage) => void = () => {}, options: DatasetServiceOptions = {}): DatasetService {
  const datasetsDir = join(home, 'datasets');
  const downloadsDir = join(home, 'downloads');
  const locations: DatasetLocations = { roots: [datasetsDir, join(resourcesDir, 'datasets')] };
  const list = () => listDatasets(locations);
  const imports = new Map<string, AbortController>();
  const progressIntervalMs = options.progressIntervalMs ?? 100;
  void removeStaleImports(datasetsDir);

  function progressEmitter(importId: string) {
    let last = 0;
    let timer: NodeJS.Timeout | null = null;
    let latest: EventOf<'dataset.import.progress'> | null = null;
    const send = () => {
      timer = null;
      last = Date.now();
      if (latest) emit({ event: 'dataset.import.progress', data: latest });
    };
    return {
      report(data: Omit<EventOf<'dataset.import.progress'>, 'importId'>) {
        latest = { importId, ...data };
        const wait = progressIntervalMs - (Date.now() - last);
        if (wait <= 0) send();
        else timer ??= setTimeout(send, wait);
      },
      flush() {
        if (timer) clearTimeout(timer);
        send();
      },
    };
  }

  async function runImport(params: ParsedRequestOf<'datasets.import'>): Promise<DatasetImportResult> {
    const importId = params.importId ?? `import-${randomBytes(6).toString('hex')}`;
    if (imports.has(importId)) fail({ code: 'conflict', field: 'importId', message: `importId: an import "${importId}" is already running` });
    const controller = new AbortController();
    imports.set(importId, controller);
    const progress = progressEmitter(importId);
    try {
      let path: string;
      let catalog: string | undefined;
      let name = params.name;
      if (params.source.kind === 'catalog') {
        const entry = catalogEntry(params.source.name)!;
        catalog = entry.name;
        name ??= entry.title;
        if (params.source.localPath) path = resolve(params.source.localPath);
        else {
          path = await downloadCatalogEntry(entry, downloadsDir, {
            signal: controller.signal,
            mirrors: options.catalogMirrors?.[entry.name],
            onProgress: (p) =>
              progress.report({ phase: 'downloading', done: p.receivedBytes, total: p.totalBytes ?? 0, skipped: 0, file: `${p.file} (${p.fileIndex + 1}/${p.files})` }),
          });
        }
      } else {
        path = resolve(params.source.path);
      }
      const takenIds = [...(await findDatasetDirs(locations)).keys()];
      const result = await importDataset({
        path,
        datasetsDir,
        takenIds,
        name,
        size: params.size,
        resize: params.resize,
        channels: params.channels,
        background: params.background,
        validationFraction: params.validationFraction,
        testFraction: params.testFraction,
        seed: params.seed,
        catalog,
        signal: controller.signal,
        onProgress: (p: ImportProgress) => progress.report(p),
      });
      progress.flush();
      emit({ event: 'dataset.import.ended', data: { importId, status: 'completed', datasetId: result.id, error: null } });
      return result;
    } catch (error) {
      progress.flush();
      const cancelled = controller.signal.aborted;
      const converted = toWorkbenchError(cancelled ? new ImportCancelledError() : error);
      emit({
        event: 'dataset.import.ended',
        data: { importId, status: cancelled ? 'cancelled' : 'failed', datasetId: null, error: converted instanceof Error ? converted.message : String(converted) },
      });
      throw converted;
    } finally {
      imports.delete(importId);
    }
  }

  async function detail(id: string): Promise<DatasetDetail> {
    const found = await getDataset(locations, id);
    const cache = found.manifest.format === 'cache' ? found.manifest : null;
    const report = found.report;
    return {
      ...found.info,
      classCounts: found.classCounts,
      normalization: cache?.normalization ?? null,
      resize: cache ? cache.import.resize : null,
      bytes: cache?.bytes ?? null,
      report: report ? { skipped: report.skipped, warnings: report.warnings, scanned: report.scanned, imported: report.imported, durationMs: report.durationMs } : null,
    };
  }

  return {
    locations,
    list,
    cancelAll() {
      for (const controller of imports.values()) controller.abort();
    },
    handlers: {
      'datasets.list': () => list(),
      'datasets.get': guarded(({ id }) => detail(id)),
      'datasets.import': guarded(runImport),
      'datasets.cancelImport': ({ importId }) => {
        const controller = imports.get(importId);
        controller?.abort();
        return { cancelled: !!controller };
      },
      'datasets.delete': guarded(async ({ id }) => {
        await deleteDataset(locations, id);
        return { id };
      }),
      'datasets.samples': guarded(async ({ id, split, perClass, seed }) =>
        (await datasetSamples(locations, id, { split, perClass, seed })).map((s) => ({ label: s.label, index: s.index, png: base64(s.png) })),
      ),
      'datasets.previewAugmentation': guarded(async ({ id, split, index, augment, count, seed }) =>
        (await datasetAugmentationPreview(locations, id, { split, index, augment, count, seed })).map(base64),
      ),
      'datasets.catalog': guarded(async () => {
        const imported = [...(await findDatasetDirs(locations)).values()];
        return CATALOG.map((entry) => ({
          name: entry.name,
          title: entry.title,
          classCount: entry.classCount,
          input: entry.input,
          trainCount: entry.trainCount,
          testCount: entry.testCount,
          downloadBytes: entry.files.reduce((n, f) => n + (f.size ?? 0), 0),
          licence: entry.licence,
          downloaded: downloadedFiles(entry, downloadsDir).length === entry.files.length,
          imported: imported.filter((d) => d.manifest.format === 'cache' && d.manifest.import.catalog === entry.name).map((d) => d.manifest.id),
        }));
      }),
    },
  };
}
