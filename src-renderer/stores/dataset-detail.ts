/**
 * The Datasets screen, part 2 of 4: one dataset open in detail, a grid of its samples, and
 * deleting it. Its augmentation preview is augment-preview.ts.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiError, DatasetDetail, DatasetSample, DatasetSplit } from '../../src-main/contract';
import { useConnectionStore } from './connection';
import { useDatasetsStore } from './datasets';

const SPLITS: readonly DatasetSplit[] = ['train', 'val', 'test'];

/** Samples per class shown in the grid: fewer when there are many classes (CIFAR-100). */
export function samplesPerClass(classCount: number): number {
  return classCount > 20 ? 4 : 8;
}

/** Images in one split of a dataset. */
export function splitSize(detail: DatasetDetail, split: DatasetSplit): number {
  return detail.classCounts[split].reduce((sum, n) => sum + n, 0);
}

export const useDatasetDetailStore = defineStore('datasetDetail', () => {
  const connection = useConnectionStore();
  const list = useDatasetsStore();

  const selectedId = ref<string | null>(null);
  const detail = ref<DatasetDetail | null>(null);
  const detailError = ref<ApiError | null>(null);
  const samples = ref<DatasetSample[]>([]);
  const samplesSplit = ref<DatasetSplit>('train');
  const samplesSeed = ref(0);
  const samplesLoading = ref(false);
  const samplesError = ref<ApiError | null>(null);
  const deleting = ref(false);
  const deleteError = ref<ApiError | null>(null);

  async function open(id: string): Promise<void> {
    selectedId.value = id;
    detailError.value = null;
    deleteError.value = null;
    if (detail.value?.id !== id) {
      detail.value = null;
      samples.value = [];
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
    if (splitSize(result.value, samplesSplit.value) === 0) samplesSplit.value = SPLITS.find((split) => splitSize(result.value, split) > 0) ?? 'train';
    await loadSamples();
  }

  function close(): void {
    selectedId.value = null;
    detail.value = null;
    detailError.value = null;
    deleteError.value = null;
    samples.value = [];
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
    list.forget(id);
    return true;
  }

  connection.onReconnect(() => {
    if (selectedId.value) void open(selectedId.value);
  });

  return {
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
    deleting,
    deleteError,
    remove,
  };
});
