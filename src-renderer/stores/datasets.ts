/**
 * The Datasets screen's state: the list, the dataset open in detail (with its samples and an
 * augmentation preview), the import form and its validation, running imports fed by
 * `dataset.import.*` events, the catalog of standard datasets, and deleting.
 */
import { defineStore } from 'pinia';
import { computed, reactive, ref, watch } from 'vue';
import {
  AugmentOptionsSchema,
  DATASET_LIMITS,
  DatasetImportRequestSchema,
  type ApiError,
  type AugmentOptionsInput,
  type CatalogEntryInfo,
  type CatalogName,
  type DatasetDetail,
  type DatasetImportRequest,
  type DatasetImportResult,
  type DatasetInfo,
  type DatasetSample,
  type DatasetSplit,
  type EventMessage,
  type EventOf,
} from '../../src-main/contract';
import { fieldErrorsOf, type FieldMessage } from '../lib/issue-messages';
import { useConnectionStore } from './connection';
import { useSystemStore } from './system';

// ---- The import form and its validation (with the contract's own schema) ----

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
  return { path: '', name: '', size: '', resize: 'squash', channels: 'auto', background: 'white', validationFraction: 0.1, testFraction: 0, seed: 42 };
}

function numberOrUndefined(value: number | string): number | undefined {
  if (typeof value === 'number') return value;
  const text = value.trim();
  return text === '' ? undefined : Number(text);
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

// ---- Augmentation preview ----

export interface AugmentForm {
  horizontalFlip: boolean;
  randomCrop: boolean;
  padding: number | string;
  randomResizedCrop: boolean;
  scaleMin: number | string;
  scaleMax: number | string;
  colorJitter: boolean;
  brightness: number | string;
  contrast: number | string;
  saturation: number | string;
  count: number | string;
}

export function defaultAugmentForm(): AugmentForm {
  return {
    horizontalFlip: true,
    randomCrop: true,
    padding: 4,
    randomResizedCrop: false,
    scaleMin: 0.08,
    scaleMax: 1,
    colorJitter: false,
    brightness: 0.4,
    contrast: 0.4,
    saturation: 0.4,
    count: 11,
  };
}

/** The `augment` object the form describes (torchvision's default aspect ratios for resized crops). */
export function augmentFormToOptions(form: AugmentForm): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (form.horizontalFlip) options.horizontalFlip = true;
  if (form.randomCrop) options.randomCrop = { padding: numberOrUndefined(form.padding) };
  if (form.randomResizedCrop) {
    const low = numberOrUndefined(form.scaleMin);
    const high = numberOrUndefined(form.scaleMax);
    const scale = low !== undefined && high !== undefined && low > high ? [high, low] : [low, high];
    options.randomResizedCrop = { scale, ratio: [3 / 4, 4 / 3] };
  }
  if (form.colorJitter) {
    options.colorJitter = {
      brightness: numberOrUndefined(form.brightness),
      contrast: numberOrUndefined(form.contrast),
      saturation: numberOrUndefined(form.saturation),
    };
  }
  return options;
}

/** Samples per class shown in the grid: fewer when there are many classes (CIFAR-100). */
export function samplesPerClass(classCount: number): number {
  return classCount > 20 ? 4 : 8;
}

export const useDatasetsStore = defineStore('datasets', () => {
  const connection = useConnectionStore();
  const system = useSystemStore();

  // The list
  const datasets = ref<DatasetInfo[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<ApiError | null>(null);

  // The detail
  const selectedId = ref<string | null>(null);
  const detail = ref<DatasetDetail | null>(null);
  const detailError = ref<ApiError | null>(null);
  const samples = ref<DatasetSample[]>([]);
  const samplesSplit = ref<DatasetSplit>('train');
  const samplesSeed = ref(0);
  const samplesLoading = ref(false);
  const samplesError = ref<ApiError | null>(null);

  // Deleting
  const deleting = ref(false);
  const deleteError = ref<ApiError | null>(null);

  // Augmentation preview
  const augmentForm = reactive<AugmentForm>(defaultAugmentForm());
  const augmentIndex = ref(0);
  const augmentSplit = ref<DatasetSplit>('train');
  const augmentSeed = ref(0);
  const augmentImages = ref<string[]>([]);
  const augmentLoading = ref(false);
  const augmentError = ref<string | null>(null);

  // Import form
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

  // Imports and catalog
  const jobs = ref<Partial<Record<ImportOrigin, ImportJob>>>({});
  const catalog = ref<CatalogEntryInfo[]>([]);
  const catalogError = ref<ApiError | null>(null);

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

  async function refresh(): Promise<void> {
    loading.value = true;
    const [listResult, catalogResult] = await Promise.all([connection.call('datasets.list', {}), connection.call('datasets.catalog', {})]);
    loading.value = false;
    if (listResult.ok) {
      datasets.value = listResult.value;
      error.value = null;
      loaded.value = true;
      // The Train form offers the same list: keep it in step without reloading models.
      system.datasets = listResult.value;
    } else {
      error.value = listResult.error;
    }
    if (catalogResult.ok) {
      catalog.value = catalogResult.value;
      catalogError.value = null;
    } else {
      catalogError.value = catalogResult.error;
    }
  }

  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** An import's response and its ended event arrive together; one refresh covers both. */
  function scheduleRefresh(): void {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void refresh();
    }, 0);
  }

  // ---- Detail ----

  async function open(id: string): Promise<void> {
    selectedId.value = id;
    detailError.value = null;
    deleteError.value = null;
    if (detail.value?.id !== id) {
      detail.value = null;
      samples.value = [];
      augmentImages.value = [];
      augmentError.value = null;
      augmentIndex.value = 0;
      augmentSplit.value = 'train';
      samplesSplit.value = 'train';
    }
    const result = await connection.call('datasets.get', { id });
    if (selectedId.value !== id) return;
    if (!result.ok) {
      detailError.value = result.error;
      detail.value = null;
      return;
    }
    detail.value = result.value;
    const counts = result.value.classCounts;
    const total = (split: DatasetSplit) => counts[split].reduce((sum, n) => sum + n, 0);
    if (total(samplesSplit.value) === 0) samplesSplit.value = (['train', 'val', 'test'] as const).find((split) => total(split) > 0) ?? 'train';
    if (total(augmentSplit.value) === 0) augmentSplit.value = samplesSplit.value;
    await loadSamples();
  }

  function close(): void {
    selectedId.value = null;
    detail.value = null;
    detailError.value = null;
    deleteError.value = null;
    samples.value = [];
    augmentImages.value = [];
  }

  async function loadSamples(split: DatasetSplit = samplesSplit.value, seed: number = samplesSeed.value): Promise<void> {
    const current = detail.value;
    if (!current) return;
    samplesSplit.value = split;
    samplesSeed.value = seed;
    samplesLoading.value = true;
    samplesError.value = null;
    const result = await connection.call('datasets.samples', { id: current.id, split, seed, perClass: samplesPerClass(current.classes.length) });
    if (detail.value?.id !== current.id || samplesSplit.value !== split || samplesSeed.value !== seed) return;
    samplesLoading.value = false;
    if (result.ok) samples.value = result.value;
    else {
      samples.value = [];
      samplesError.value = result.error;
    }
  }

  function shuffleSamples(): Promise<void> {
    return loadSamples(samplesSplit.value, (samplesSeed.value + 1) % 2 ** 31);
  }

  // ---- Augmentation preview ----

  const augmentValidation = computed(() => AugmentOptionsSchema.safeParse(augmentFormToOptions(augmentForm)));
  const augmentCount = computed(() => {
    const count = numberOrUndefined(augmentForm.count);
    return count !== undefined && Number.isInteger(count) && count >= 1 && count <= DATASET_LIMITS.maxPreviewCount ? count : null;
  });
  /** The preview button stays disabled while this is false; the inputs show their own limits. */
  const augmentValid = computed(() => augmentValidation.value.success && augmentCount.value !== null);

  /** Shows `count` augmented versions of one image (the original first); a new seed each press. */
  async function previewAugmentation(pick?: { split: DatasetSplit; index: number }): Promise<boolean> {
    const current = detail.value;
    if (!current) return false;
    if (pick) {
      augmentSplit.value = pick.split;
      augmentIndex.value = pick.index;
    }
    const parsed = augmentValidation.value;
    const count = augmentCount.value;
    if (!parsed.success || count === null) return false;
    augmentSeed.value = (augmentSeed.value + 1) % 2 ** 31;
    const request = { id: current.id, split: augmentSplit.value, index: augmentIndex.value, augment: parsed.data as AugmentOptionsInput, count, seed: augmentSeed.value };
    augmentLoading.value = true;
    augmentError.value = null;
    const result = await connection.call('datasets.previewAugmentation', request);
    if (detail.value?.id !== current.id) return false;
    augmentLoading.value = false;
    if (!result.ok) {
      augmentError.value = result.error.message;
      return false;
    }
    augmentImages.value = result.value;
    return true;
  }

  // ---- Delete ----

  async function remove(id: string): Promise<boolean> {
    deleting.value = true;
    deleteError.value = null;
    const result = await connection.call('datasets.delete', { id });
    deleting.value = false;
    if (!result.ok) {
      deleteError.value = result.error;
      return false;
    }
    if (selectedId.value === id) close();
    datasets.value = datasets.value.filter((dataset) => dataset.id !== id);
    scheduleRefresh();
    return true;
  }

  // ---- Import ----

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
      scheduleRefresh();
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
      scheduleRefresh();
    }
  }

  connection.onEvent(handleEvent);
  connection.onReconnect(() => {
    void refresh();
    if (selectedId.value) void open(selectedId.value);
  });

  return {
    datasets,
    loading,
    loaded,
    error,
    refresh,
    selectedId,
    detail,
    detailError,
    open,
    close,
    samples,
    samplesSplit,
    samplesLoading,
    samplesError,
    loadSamples,
    shuffleSamples,
    augmentForm,
    augmentIndex,
    augmentSplit,
    augmentImages,
    augmentLoading,
    augmentError,
    augmentValid,
    previewAugmentation,
    deleting,
    deleteError,
    remove,
    form,
    fieldErrors,
    validation,
    canImport,
    formJob,
    formImporting,
    startImport,
    jobs,
    catalog,
    catalogError,
    importCatalog,
    cancelImport,
    dismissImport,
    handleEvent,
  };
});
