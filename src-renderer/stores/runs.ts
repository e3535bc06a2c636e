/** Saved runs: the sortable list, the run opened in detail (with its charts), and stopping one. */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ApiError, EventMessage, RunDetail, RunSummary } from '../../src-main/contract';
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
const DESCENDING_FIRST: readonly SortKey[] = ['createdAt', 'trainAccuracy', 'valAccuracy', 'duration'];

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

  const sortedRuns = computed(() => sortRuns(runs.value, sortKey.value, sortDirection.value));

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
    clearMetricSeries(detailSeries);
    appendMetrics(detailSeries, result.value.metrics);
    detailVersion.value++;
  }

  function close(): void {
    detailId.value = null;
    detail.value = null;
    detailError.value = null;
  }

  async function stop(id: string): Promise<boolean> {
    stopping.value = true;
    const result = await connection.call('runs.stop', { id });
    stopping.value = false;
    if (!result.ok) {
      detailError.value = result.error;
      return false;
    }
    if (detail.value?.id === id) detail.value = { ...detail.value, ...result.value };
    scheduleRefresh(0);
    return true;
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
    handleEvent,
  };
});
