/**
 * The Datasets screen, part 4 of 4: the import form and its validation (with the contract's own
 * schema), and the imports in flight, from the form or from a catalog card, fed by the host's
 * `dataset.import.*` events. When one ends, the dataset list (datasets.ts) is asked to refresh.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import {
  DatasetImportRequestSchema,
  DEFAULT_TEST_FRACTION,
  type CatalogName,
  type DatasetImportRequest,
  type DatasetImportResult,
  type EventMessage,
  type EventOf,
} from '../../src-main/contract';
import { fieldErrorsOf, type FieldMessage } from '../lib/issue-messages';
import { numberOrUndefined } from '../lib/validation';
import { useConnectionStore } from './connection';
import { useDatasetsStore } from './datasets';

// ---- The form ----

export const IMPORT_FIELDS = ['path', 'name', 'size', 'resize', 'channels', 'background', 'validationFraction', 'testFraction', 'seed'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
export type ImportFieldErrors = Partial<Record<ImportField, FieldMessage>>;

export const RESIZE_MODES = ['squash', 'crop', 'pad'] as const;
export const CHANNEL_MODES = ['auto', '1', '3'] as const;
export const BACKGROUNDS = ['white', 'black'] as const;

/** What the inputs hold: number inputs give '' when empty or unparsable, selects give strings. */
export interface ImportForm {
  path: string;
  name: string;
  size: number | string;
  resize: (typeof RESIZE_MODES)[number];
  channels: (typeof CHANNEL_MODES)[number];
  background: (typeof BACKGROUNDS)[number];
  validationFraction: number | string;
  testFraction: number | string;
  seed: number | string;
}

export function defaultImportForm(): ImportForm {
  return { path: '', name: '', size: '', resize: 'squash', channels: 'auto', background: 'white', validationFraction: 0.1, testFraction: DEFAULT_TEST_FRACTION, seed: 42 };
}

/** The request the form describes (without importId); empty optional fields are left out. */
export function formToImportRequest(form: ImportForm): Record<string, unknown> {
  const request: Record<string, unknown> = {
    source: { kind: 'path', path: form.path.trim() },
    resize: form.resize,
    channels: form.channels === 'auto' ? 'auto' : Number(form.channels),
    background: form.background,
    validationFraction: numberOrUndefined(form.validationFraction) ?? 0,
    testFraction: numberOrUndefined(form.testFraction) ?? 0,
  };
  if (form.name.trim() !== '') request.name = form.name.trim();
  const size = numberOrUndefined(form.size);
  if (size !== undefined) request.size = size;
  const seed = numberOrUndefined(form.seed);
  if (seed !== undefined) request.seed = seed;
  return request;
}

/** The form field a request path (zod's or the host's `field`) belongs to. */
export function importFieldOf(path: readonly PropertyKey[] | string | undefined): ImportField | null {
  const parts = typeof path === 'string' ? path.split('.') : (path ?? []).map(String);
  if (parts[0] === 'source') return 'path';
  return (IMPORT_FIELDS as readonly string[]).includes(parts[0]) ? (parts[0] as ImportField) : null;
}

export type ImportValidation = { ok: true; request: DatasetImportRequest; errors: ImportFieldErrors } | { ok: false; errors: ImportFieldErrors };

/** Validates the form with DatasetImportRequestSchema; one message per field, the first issue wins. */
export function validateImportForm(form: ImportForm): ImportValidation {
  const input = formToImportRequest(form);
  const parsed = DatasetImportRequestSchema.safeParse(input);
  if (parsed.success) return { ok: true, request: input as DatasetImportRequest, errors: {} };
  const choosePath = (field: ImportField) => (field === 'path' ? { key: 'datasets.import.errors.choosePath' } : undefined);
  return { ok: false, errors: fieldErrorsOf(parsed.error.issues, input, importFieldOf, choosePath) };
}

// ---- Imports in flight ----

export type ImportStatus = 'running' | 'completed' | 'cancelled' | 'failed';
/** Who started an import: the folder form, or a catalog card. */
export type ImportOrigin = 'form' | CatalogName;

export interface ImportJob {
  importId: string;
  origin: ImportOrigin;
  status: ImportStatus;
  phase: EventOf<'dataset.import.progress'>['phase'] | null;
  done: number;
  total: number;
  skipped: number;
  file: string | null;
  cancelling: boolean;
  result: DatasetImportResult | null;
  datasetId: string | null;
  error: string | null;
}

/** Import ids only need to be unique among this host's running imports. */
function newImportId(): string {
  const bytes = new Uint8Array(8);
  globalThis.crypto.getRandomValues(bytes);
  return `ui-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

export const useDatasetImportStore = defineStore('datasetImport', () => {
  const connection = useConnectionStore();
  const list = useDatasetsStore();

  const form = reactive<ImportForm>(defaultImportForm());
  const hostErrors = ref<ImportFieldErrors>({});
  const validation = computed(() => validateImportForm(form));
  /** An empty path is no error until the user has typed one (the Import button waits meanwhile). */
  const pathEdited = ref(false);
  const fieldErrors = computed<ImportFieldErrors>(() => {
    const errors = { ...hostErrors.value, ...validation.value.errors };
    if (!pathEdited.value && form.path.trim() === '') delete errors.path;
    return errors;
  });

  const jobs = ref<Partial<Record<ImportOrigin, ImportJob>>>({});
  const formJob = computed(() => jobs.value.form ?? null);
  const formImporting = computed(() => formJob.value?.status === 'running');
  const canImport = computed(() => validation.value.ok && !formImporting.value && connection.state === 'connected');

  watch(
    () => ({ ...form }),
    (now, before) => {
      // A host error is about the value that was sent; editing the field retires it.
      if (now.path !== before.path) pathEdited.value = true;
      const next = { ...hostErrors.value };
      for (const field of IMPORT_FIELDS) if (now[field] !== before[field]) delete next[field];
      hostErrors.value = next;
    },
  );

  function findJob(importId: string): ImportJob | undefined {
    return Object.values(jobs.value).find((job) => job?.importId === importId);
  }

  async function runImport(origin: ImportOrigin, request: DatasetImportRequest): Promise<DatasetImportResult | null> {
    const importId = newImportId();
    jobs.value[origin] = {
      importId,
      origin,
      status: 'running',
      phase: null,
      done: 0,
      total: 0,
      skipped: 0,
      file: null,
      cancelling: false,
      result: null,
      datasetId: null,
      error: null,
    };
    const result = await connection.call('datasets.import', { ...request, importId });
    const job = jobs.value[origin];
    if (!job || job.importId !== importId) return null;
    if (result.ok) {
      Object.assign(job, { status: 'completed', result: result.value, datasetId: result.value.id, error: null, skipped: result.value.skipped.length });
      list.scheduleRefresh();
      return result.value;
    }
    if (job.status === 'running') job.status = job.cancelling && result.error.code === 'conflict' ? 'cancelled' : 'failed';
    if (job.status === 'failed') job.error = result.error.message;
    const field = origin === 'form' && job.status === 'failed' ? importFieldOf(result.error.field) : null;
    if (field) {
      // Said once, next to the field at fault, rather than again under the form.
      hostErrors.value = { ...hostErrors.value, [field]: { text: result.error.message } };
      delete jobs.value.form;
    }
    return null;
  }

  /** Imports the folder the form names; refuses (and calls nothing) while the form is invalid. */
  async function startImport(): Promise<DatasetImportResult | null> {
    const checked = validation.value;
    if (!checked.ok || formImporting.value) return null;
    hostErrors.value = {};
    return runImport('form', checked.request);
  }

  /** Downloads a catalog entry (or reads `localPath`, a copy already on the host) and imports it. */
  function importCatalog(name: CatalogName, localPath?: string): Promise<DatasetImportResult | null> {
    if (jobs.value[name]?.status === 'running') return Promise.resolve(null);
    const source = localPath === undefined ? { kind: 'catalog' as const, name } : { kind: 'catalog' as const, name, localPath: localPath.trim() };
    return runImport(name, { source });
  }

  async function cancelImport(origin: ImportOrigin): Promise<void> {
    const job = jobs.value[origin];
    if (!job || job.status !== 'running' || job.cancelling) return;
    job.cancelling = true;
    const result = await connection.call('datasets.cancelImport', { importId: job.importId });
    if (!result.ok || !result.value.cancelled) job.cancelling = false;
  }

  function dismissImport(origin: ImportOrigin): void {
    if (jobs.value[origin]?.status !== 'running') delete jobs.value[origin];
  }

  function handleEvent(message: EventMessage): void {
    if (message.event === 'dataset.import.progress') {
      const job = findJob(message.data.importId);
      if (!job || job.status !== 'running') return;
      const { phase, done, total, skipped, file } = message.data;
      Object.assign(job, { phase, done, total, skipped, file: file ?? null });
    } else if (message.event === 'dataset.import.ended') {
      const job = findJob(message.data.importId);
      if (job && job.status === 'running') {
        job.status = message.data.status;
        job.datasetId = message.data.datasetId;
        if (message.data.status === 'failed') job.error = message.data.error;
      }
      // Imports from other windows or the command line end here too.
      list.scheduleRefresh();
    }
  }

  connection.onEvent(handleEvent);

  return {
    form,
    fieldErrors,
    validation,
    canImport,
    formJob,
    formImporting,
    startImport,
    jobs,
    importCatalog,
    cancelImport,
    dismissImport,
    handleEvent,
  };
});
