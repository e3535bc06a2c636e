/**
 * The Datasets screen, part 1 of 4: the list of datasets and the catalog of standard ones, read from
 * the host. The other parts, each its own store: the dataset open in detail (dataset-detail.ts), its
 * augmentation preview (augment-preview.ts), and the import form with the imports in flight
 * (dataset-import.ts). They ask this store to refresh; none writes another store's state.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiError, CatalogEntryInfo, DatasetInfo } from '../../src-main/contract';
import { useConnectionStore } from './connection';
import { useSystemStore } from './system';

export const useDatasetsStore = defineStore('datasets', () => {
  const connection = useConnectionStore();
  const system = useSystemStore();

  const datasets = ref<DatasetInfo[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<ApiError | null>(null);
  const catalog = ref<CatalogEntryInfo[]>([]);
  const catalogError = ref<ApiError | null>(null);

  async function refresh(): Promise<void> {
    loading.value = true;
    const [listResult, catalogResult] = await Promise.all([connection.call('datasets.list', {}), connection.call('datasets.catalog', {})]);
    loading.value = false;
    if (listResult.ok) {
      datasets.value = listResult.value;
      error.value = null;
      loaded.value = true;
      // The Train form offers the same list: keep it in step without reloading models.
      system.setDatasets(listResult.value);
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

  /** Drops a deleted dataset at once; the refresh that follows confirms it. */
  function forget(id: string): void {
    datasets.value = datasets.value.filter((dataset) => dataset.id !== id);
    scheduleRefresh();
  }

  connection.onReconnect(() => void refresh());

  return { datasets, loading, loaded, error, catalog, catalogError, refresh, scheduleRefresh, forget };
});
