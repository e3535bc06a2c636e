/**
 * The Compare screen: which runs are compared (remembered across reloads), their metric lines and
 * evaluations, and the chart settings. Metric lines of live runs grow with `run.progress` events.
 */
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { ApiError, EvalResult, EventMessage, RunDetail } from '../../src-main/contract';
import type { XAxis } from '../components/compare/series';
import { useConnectionStore } from './connection';

const STORAGE_KEY = 'cvb.compare';
export const MAX_COMPARED = 10;

function loadSaved(): string[] {
  try {
    const value = JSON.parse(globalThis.localStorage?.getItem(STORAGE_KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string').slice(0, MAX_COMPARED) : [];
  } catch {
    return [];
  }
}

export const useCompareStore = defineStore('compare', () => {
  const connection = useConnectionStore();
  const ids = ref<string[]>(loadSaved());
  /** Run details by id; raw (not reactive) because metric arrays can hold 200,000 lines. */
  const details = shallowRef<Record<string, RunDetail>>({});
  const evaluations = shallowRef<Record<string, EvalResult | null>>({});
  const errors = ref<Record<string, ApiError>>({});
  const loading = ref(false);
  /** Bumped when a compared run's metrics grew. */
  const version = ref(0);

  const xAxis = ref<XAxis>('step');
  const smoothing = ref(0.6);
  const logScale = ref(false);
  const onlyDifferences = ref(false);

  function save(): void {
    globalThis.localStorage?.setItem(STORAGE_KEY, JSON.stringify(ids.value));
  }

  function choose(next: readonly string[]): void {
    ids.value = [...new Set(next)].slice(0, MAX_COMPARED);
    save();
    void load();
  }

  function toggle(id: string): void {
    choose(ids.value.includes(id) ? ids.value.filter((other) => other !== id) : [...ids.value, id]);
  }

  async function load(): Promise<void> {
    loading.value = true;
    const wanted = [...ids.value];
    const answers = await Promise.all(wanted.map((id) => Promise.all([connection.call('runs.get', { id }), connection.call('runs.evaluation', { id })])));
    loading.value = false;
    if (wanted.join() !== ids.value.join()) return;
    const nextDetails: Record<string, RunDetail> = {};
    const nextEvaluations: Record<string, EvalResult | null> = {};
    const nextErrors: Record<string, ApiError> = {};
    answers.forEach(([detail, evaluation], index) => {
      const id = wanted[index];
      if (detail.ok) nextDetails[id] = markRaw({ ...detail.value, metrics: markRaw([...detail.value.metrics]) });
      else nextErrors[id] = detail.error;
      nextEvaluations[id] = evaluation.ok ? evaluation.value : null;
    });
    details.value = nextDetails;
    evaluations.value = nextEvaluations;
    errors.value = nextErrors;
    version.value++;
  }

  function handleEvent(message: EventMessage): void {
    if (message.event === 'run.progress') {
      const detail = details.value[message.data.runId];
      if (!detail) return;
      const last = detail.metrics[detail.metrics.length - 1];
      const fresh = message.data.metrics.filter((line) => !last || line.step > last.step || (line.step === last.step && line.type !== last.type));
      if (fresh.length === 0) return;
      (detail.metrics as RunDetail['metrics']).push(...fresh);
      version.value++;
    } else if (message.event === 'run.status' && ids.value.includes(message.data.runId) && !['running', 'queued'].includes(message.data.status)) {
      void load();
    }
  }

  connection.onEvent(handleEvent);

  return { ids, details, evaluations, errors, loading, version, xAxis, smoothing, logScale, onlyDifferences, choose, toggle, load, handleEvent };
});
