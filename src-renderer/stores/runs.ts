/**
 * Saved runs: the sortable, filterable list; the run opened in detail (with its charts); stopping,
 * renaming, tagging, starring, deleting, evaluating, exporting and importing runs.
 */
import { defineStore } from 'pinia';
import { computed, ref, type Ref } from 'vue';
import type {
  ApiError,
  CheckpointName,
  EvalImagesResponse,
  EvalResult,
  EventMessage,
  RunDetail,
  RunExportKind,
  RunExportResponse,
  RunJobExportResponse,
  RunStatus,
  RunSummary,
  RunUpdateRequest,
} from '../../src-main/contract';
import { runDurationSeconds } from '../lib/format';
import { appendMetrics, clearMetricSeries, createMetricSeries } from '../lib/metric-series';
import { useConnectionStore } from './connection';

export const SORT_KEYS = [
  'status',
  'model',
  'dataset',
  'createdAt',
  'trainAccuracy',
  'valAccuracy',
  'trainLoss',
  'valLoss',
  'backend',
  'duration',
  'best',
  'testAccuracy',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDirection = 'asc' | 'desc';

function sortValue(run: RunSummary, key: SortKey): string | number | null {
  switch (key) {
    case 'trainAccuracy':
    case 'valAccuracy':
    case 'trainLoss':
    case 'valLoss':
      return run.final[key];
    case 'duration':
      return runDurationSeconds(run);
    case 'best':
      return run.best?.score ?? null;
    case 'testAccuracy':
      return run.test?.accuracy ?? null;
    case 'model':
      return run.name ? `${run.model} ${run.name}` : run.model;
    case 'createdAt': {
      const time = Date.parse(run.createdAt);
      return Number.isNaN(time) ? null : time;
    }
    default:
      return run[key];
  }
}

/** Sorts a copy of `runs`; runs without a value for the column go last in either direction. */
export function sortRuns(runs: readonly RunSummary[], key: SortKey, direction: SortDirection): RunSummary[] {
  const sign = direction === 'asc' ? 1 : -1;
  return [...runs].sort((a, b) => {
    const left = sortValue(a, key);
    const right = sortValue(b, key);
    if (left === null || right === null) return left === right ? 0 : left === null ? 1 : -1;
    const order = typeof left === 'number' && typeof right === 'number' ? left - right : String(left).localeCompare(String(right));
    return order * sign || a.id.localeCompare(b.id);
  });
}

/** Columns where the biggest value is the interesting one start descending. */
const DESCENDING_FIRST: readonly SortKey[] = ['createdAt', 'trainAccuracy', 'valAccuracy', 'duration', 'best', 'testAccuracy'];

export type StatusFilter = RunStatus | 'all' | 'damaged';

export interface RunFilter {
  /** Words that must all appear in the id, name, model, dataset, tags, notes, status or backend. */
  search: string;
  status: StatusFilter;
  starredOnly: boolean;
  /** Only runs with this tag; null for any. */
  tag: string | null;
}

export function emptyFilter(): RunFilter {
  return { search: '', status: 'all', starredOnly: false, tag: null };
}

function haystack(run: RunSummary): string {
  const switches = Object.entries(run.modelOptions ?? {}).map(([name, value]) => `${name} ${String(value)}`);
  return [run.id, run.name, run.model, run.dataset, run.status, run.backend, run.notes, ...(run.tags ?? []), ...switches, run.damaged ? 'damaged' : '']
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
}

/** The runs that pass every part of the filter, in the given order. */
export function filterRuns(runs: readonly RunSummary[], filter: RunFilter): RunSummary[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  return runs.filter((run) => {
    if (filter.starredOnly && !run.starred) return false;
    if (filter.tag && !(run.tags ?? []).includes(filter.tag)) return false;
    if (filter.status === 'damaged' ? !run.damaged : filter.status !== 'all' && run.status !== filter.status) return false;
    if (words.length === 0) return true;
    const text = haystack(run);
    return words.every((word) => text.includes(word));
  });
}

export const useRunsStore = defineStore('runs', () => {
  const connection = useConnectionStore();
  const runs = ref<RunSummary[]>([]);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const sortKey = ref<SortKey>('createdAt');
  const sortDirection = ref<SortDirection>('desc');

  const detail = ref<RunDetail | null>(null);
  const detailId = ref<string | null>(null);
  const detailError = ref<ApiError | null>(null);
  const detailSeries = createMetricSeries();
  const detailVersion = ref(0);
  const stopping = ref(false);
  const resuming = ref(false);

  const sortedRuns = computed(() => sortRuns(runs.value, sortKey.value, sortDirection.value));
  const filter = ref<RunFilter>(emptyFilter());
  const filteredRuns = computed(() => filterRuns(sortedRuns.value, filter.value));
  const allTags = computed(() => [...new Set(runs.value.flatMap((run) => run.tags ?? []))].sort((a, b) => a.localeCompare(b)));
  /** Runs ticked for the Compare screen, in the order they were ticked. */
  const selected = ref<string[]>([]);
  const actionError = ref<ApiError | null>(null);
  const busy = ref<string | null>(null);

  const evaluation = ref<EvalResult | null>(null);
  const evaluating = ref(false);
  const evaluationError = ref<ApiError | null>(null);

  function setSort(key: SortKey): void {
    if (sortKey.value === key) {
      sortDirection.value = sortDirection.value === 'asc' ? 'desc' : 'asc';
    } else {
      sortKey.value = key;
      sortDirection.value = DESCENDING_FIRST.includes(key) ? 'desc' : 'asc';
    }
  }

  async function refresh(): Promise<void> {
    loading.value = true;
    const result = await connection.call('runs.list', {});
    loading.value = false;
    if (result.ok) {
      runs.value = result.value;
      error.value = null;
    } else {
      error.value = result.error;
    }
  }

  let refreshTimer: ReturnType<typeof setTimeout> | null = null;
  /** Status events come in bursts (start, then running); one list request covers a burst. */
  function scheduleRefresh(delayMs = 150): void {
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      void refresh();
    }, delayMs);
  }

  async function open(id: string): Promise<void> {
    detailId.value = id;
    detailError.value = null;
    if (detail.value?.id !== id) detail.value = null;
    const result = await connection.call('runs.get', { id });
    if (detailId.value !== id) return;
    if (!result.ok) {
      detailError.value = result.error;
      detail.value = null;
      return;
    }
    detail.value = result.value;
    if (evaluation.value?.runId !== id) void loadEvaluation(id);
    clearMetricSeries(detailSeries);
    appendMetrics(detailSeries, result.value.metrics);
    detailVersion.value++;
  }

  function close(): void {
    detailId.value = null;
    detail.value = null;
    detailError.value = null;
    evaluation.value = null;
    evaluationError.value = null;
  }

  function toggleSelected(id: string): void {
    selected.value = selected.value.includes(id) ? selected.value.filter((other) => other !== id) : [...selected.value, id];
  }

  function replaceSummary(summary: RunSummary): void {
    runs.value = runs.value.map((run) => (run.id === summary.id ? summary : run));
    if (detail.value?.id === summary.id) detail.value = { ...detail.value, ...summary };
  }

  /**
   * One action on a run: `busy` names it meanwhile (null: too quick to show), and a refusal becomes
   * `actionError` and null, so every action reports its failure the same way.
   */
  async function act<T>(name: string | null, call: () => Promise<{ ok: true; value: T } | { ok: false; error: ApiError }>): Promise<T | null> {
    actionError.value = null;
    if (name) busy.value = name;
    let result: Awaited<ReturnType<typeof call>>;
    try {
      result = await call();
    } finally {
      if (name) busy.value = null;
    }
    if (!result.ok) {
      actionError.value = result.error;
      return null;
    }
    return result.value;
  }

  /** Rename, notes, tags or star; the list and the open detail show the answer at once. */
  async function updateMeta(id: string, patch: Omit<RunUpdateRequest, 'id'>): Promise<boolean> {
    const summary = await act(null, () => connection.call('runs.update', { id, ...patch }));
    if (!summary) return false;
    replaceSummary(summary);
    return true;
  }

  function toggleStar(id: string): Promise<boolean> {
    const run = runs.value.find((r) => r.id === id) ?? (detail.value?.id === id ? detail.value : null);
    return updateMeta(id, { starred: !run?.starred });
  }

  /** Deletes a run; the caller has asked the user to confirm. */
  async function remove(id: string): Promise<boolean> {
    if (!(await act('delete', () => connection.call('runs.delete', { id })))) return false;
    runs.value = runs.value.filter((run) => run.id !== id);
    selected.value = selected.value.filter((other) => other !== id);
    if (detailId.value === id) close();
    return true;
  }

  async function loadEvaluation(id: string): Promise<void> {
    const result = await connection.call('runs.evaluation', { id });
    if (detailId.value !== id) return;
    if (result.ok) evaluation.value = result.value;
  }

  async function evaluate(id: string, checkpoint: CheckpointName = 'best'): Promise<boolean> {
    evaluating.value = true;
    evaluationError.value = null;
    const result = await connection.call('runs.evaluate', { id, checkpoint });
    evaluating.value = false;
    if (!result.ok) {
      evaluationError.value = result.error;
      return false;
    }
    if (detailId.value === id) {
      evaluation.value = result.value;
      // The summary's test accuracy is the evaluation's: show it now, not after the next runs.get.
      if (detail.value?.id === id) detail.value = { ...detail.value, test: { accuracy: result.value.accuracy, top5: result.value.top5 } };
    }
    scheduleRefresh(0);
    return true;
  }

  async function cellImages(id: string, actual: number, predicted: number, limit = 24): Promise<EvalImagesResponse | ApiError> {
    const result = await connection.call('runs.evalImages', { id, actual, predicted, limit });
    return result.ok ? result.value : result.error;
  }

  /** Exports on the host and, when small enough, sends the bytes along for a download. */
  async function exportRun(id: string, kind: RunExportKind, checkpoint: CheckpointName = 'best'): Promise<RunExportResponse | null> {
    return act(`export-${kind}`, async () => {
      const result = await connection.call('runs.export', { id, kind, checkpoint, inline: true });
      // Too big to send: it is still written on the host; say where.
      return !result.ok && result.error.field === 'inline' ? connection.call('runs.export', { id, kind, checkpoint, inline: false }) : result;
    });
  }

  /** Writes the run as a PyTorch DDP job folder on the host (issue 14). */
  function exportJob(id: string): Promise<RunJobExportResponse | null> {
    return act('export-job', () => connection.call('runs.exportJob', { id }));
  }

  /** Imports a run archive's bytes, or an archive or run folder on the host's disk by its path. */
  async function importRun(source: { data: string } | { path: string }): Promise<RunSummary | null> {
    const imported = await act('import', () => connection.call('runs.import', { source }));
    if (imported) await refresh();
    return imported;
  }

  /** Stops or resumes a run, with `busy` set meanwhile; false with the host's error shown in the detail. */
  async function changeRunState(method: 'runs.stop' | 'runs.resume', id: string, busy: Ref<boolean>): Promise<boolean> {
    busy.value = true;
    const result = await connection.call(method, { id });
    busy.value = false;
    if (!result.ok) {
      detailError.value = result.error;
      return false;
    }
    if (detail.value?.id === id) detail.value = { ...detail.value, ...result.value };
    scheduleRefresh(0);
    return true;
  }

  function stop(id: string): Promise<boolean> {
    return changeRunState('runs.stop', id, stopping);
  }

  /** Continues a stopped, interrupted or failed run from its last checkpoint. */
  function resume(id: string): Promise<boolean> {
    return changeRunState('runs.resume', id, resuming);
  }

  function handleEvent(message: EventMessage): void {
    if (message.event === 'run.status') {
      scheduleRefresh();
      if (message.data.runId === detailId.value) void open(message.data.runId);
    } else if (message.event === 'run.progress' && message.data.runId === detailId.value && detail.value) {
      const { data } = message;
      detail.value = { ...detail.value, epochsDone: Math.max(detail.value.epochsDone, data.epoch), steps: data.step };
      if (appendMetrics(detailSeries, data.metrics) > 0) detailVersion.value++;
    }
  }

  connection.onEvent(handleEvent);
  connection.onReconnect(() => {
    void refresh();
    if (detailId.value) void open(detailId.value);
  });

  return {
    runs,
    sortedRuns,
    filter,
    filteredRuns,
    allTags,
    selected,
    toggleSelected,
    actionError,
    busy,
    updateMeta,
    toggleStar,
    remove,
    evaluation,
    evaluating,
    evaluationError,
    evaluate,
    loadEvaluation,
    cellImages,
    exportRun,
    exportJob,
    importRun,
    loading,
    error,
    sortKey,
    sortDirection,
    setSort,
    refresh,
    detail,
    detailId,
    detailError,
    detailSeries,
    detailVersion,
    stopping,
    open,
    close,
    stop,
    resume,
    resuming,
    handleEvent,
  };
});
