/**
 * The Experiments screen: the experiments, the built-in paper experiments, the one open in detail
 * (arms with bands, intervals and the verdict), and the draft of a new one (from a built-in or
 * from a run's configuration). `experiment.status` events refresh the list and the open detail.
 * An experiment goes to a cluster as PyTorch jobs and comes back by importing their folder.
 */
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type {
  ApiError,
  BuiltinExperiment,
  EventMessage,
  ExperimentCreateRequest,
  ExperimentDetail,
  ExperimentImportResponse,
  ExperimentJobExportResponse,
  ExperimentSummary,
  SwitchValue,
} from '../../src-main/contract';
import { EXPERIMENT_LIMITS } from '../../src-main/contract';
import { useConnectionStore } from './connection';

/** What the "new experiment" form holds; `values` is the text the user typed (comma-separated). */
export interface ExperimentDraft {
  source: 'builtin' | 'run';
  builtin: string;
  baseRunId: string;
  field: string;
  values: string;
  seeds: number;
  maxSteps: number | null;
}

/** "relu, sigmoid" → ['relu', 'sigmoid']; numbers and true/false typed as such. */
export function parseValues(text: string): SwitchValue[] {
  return text
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean)
    .map((value) => (value === 'true' ? true : value === 'false' ? false : /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(value) ? Number(value) : value));
}

export function draftRequest(draft: ExperimentDraft): ExperimentCreateRequest {
  const common = { seeds: draft.seeds, ...(draft.maxSteps ? { maxSteps: draft.maxSteps } : {}) };
  if (draft.source === 'builtin') return { builtin: draft.builtin, ...common };
  return { baseRunId: draft.baseRunId, vary: { field: draft.field.trim(), values: parseValues(draft.values) }, ...common };
}

export const useExperimentsStore = defineStore('experiments', () => {
  const connection = useConnectionStore();
  const experiments = ref<ExperimentSummary[]>([]);
  const builtins = ref<BuiltinExperiment[]>([]);
  /** Raw: the bands can hold a few thousand points. */
  const detail = shallowRef<ExperimentDetail | null>(null);
  const openId = ref<string | null>(null);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const actionError = ref<ApiError | null>(null);
  const busy = ref<string | null>(null);
  const draft = ref<ExperimentDraft>({ source: 'builtin', builtin: 'relu-vs-sigmoid', baseRunId: '', field: '', values: '', seeds: EXPERIMENT_LIMITS.defaultSeeds, maxSteps: null });
  /** Shows the form (a run's "new experiment from this run" opens it). */
  const creating = ref(false);

  async function refresh(): Promise<void> {
    loading.value = true;
    const [list, known] = await Promise.all([connection.call('experiments.list', {}), builtins.value.length ? null : connection.call('experiments.builtin', {})]);
    loading.value = false;
    if (list.ok) {
      experiments.value = list.value;
      error.value = null;
    } else error.value = list.error;
    if (known?.ok) builtins.value = known.value;
  }

  async function open(id: string): Promise<void> {
    openId.value = id;
    const result = await connection.call('experiments.get', { id });
    if (openId.value !== id) return;
    if (result.ok) {
      detail.value = result.value;
      error.value = null;
    } else {
      detail.value = null;
      error.value = result.error;
    }
  }

  function close(): void {
    openId.value = null;
    detail.value = null;
  }

  /** Opens the form for an experiment that starts from this run. */
  function draftFromRun(runId: string): void {
    draft.value = { ...draft.value, source: 'run', baseRunId: runId };
    creating.value = true;
  }

  /** Runs an action; its error is shown once, and the list is fresh afterwards. */
  async function act<T>(name: string, fn: () => Promise<{ ok: true; value: T } | { ok: false; error: ApiError }>): Promise<T | null> {
    busy.value = name;
    actionError.value = null;
    const result = await fn();
    busy.value = null;
    if (!result.ok) {
      actionError.value = result.error;
      return null;
    }
    void refresh();
    if (openId.value) void open(openId.value);
    return result.value;
  }

  async function create(): Promise<ExperimentSummary | null> {
    const created = await act('create', () => connection.call('experiments.create', draftRequest(draft.value)));
    if (created) creating.value = false;
    return created;
  }

  const stop = (id: string) => act('stop', () => connection.call('experiments.stop', { id }));
  const resume = (id: string) => act('resume', () => connection.call('experiments.resume', { id }));
  const extend = (id: string, seeds: number) => act('extend', () => connection.call('experiments.extend', { id, seeds }));

  async function remove(id: string): Promise<boolean> {
    const removed = await act('delete', () => connection.call('experiments.delete', { id }));
    if (removed && openId.value === id) close();
    return removed !== null;
  }

  const report = (id: string, format: 'html' | 'csv') => act('report', () => connection.call('experiments.report', { id, format, inline: true }));
  /** Writes one PyTorch DDP job per arm and seed, with launchers, in a new folder on the host. */
  const exportJobs = (id: string): Promise<ExperimentJobExportResponse | null> => act('export-jobs', () => connection.call('experiments.exportJobs', { id }));
  /** Imports an experiment's jobs folder on the host (its runs, and the experiment around them). */
  const importJobs = (path: string): Promise<ExperimentImportResponse | null> => act('import', () => connection.call('experiments.import', { source: { path } }));

  function handleEvent(message: EventMessage): void {
    if (message.event === 'experiment.status') {
      const index = experiments.value.findIndex((e) => e.id === message.data.id);
      if (index >= 0) {
        const { status, done, total, verdict } = message.data;
        experiments.value[index] = { ...experiments.value[index], status, done, total, verdict: verdict ?? experiments.value[index].verdict };
      } else void refresh();
      if (openId.value === message.data.id) void open(message.data.id);
    }
  }

  connection.onEvent(handleEvent);

  return { experiments, builtins, detail, openId, loading, error, actionError, busy, draft, creating, refresh, open, close, draftFromRun, create, stop, resume, extend, remove, report, exportJobs, importJobs, handleEvent };
});
