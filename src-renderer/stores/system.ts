/**
 * What the host offers: its version and backend (system.info), the model zoo, the datasets and the
 * paper recipes; and, asked when the About panel opens, its versions, log file and crash dumps.
 */
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AboutInfo, ApiError, DatasetInfo, ModelInfo, Recipe, SystemInfo } from '../../src-main/contract';
import { useConnectionStore } from './connection';

export const useSystemStore = defineStore('system', () => {
  const connection = useConnectionStore();
  const info = ref<SystemInfo | null>(null);
  const models = ref<ModelInfo[]>([]);
  const datasets = ref<DatasetInfo[]>([]);
  /** Presets for the Train form; a host without them leaves the list empty (the form still works). */
  const recipes = ref<Recipe[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  const error = ref<ApiError | null>(null);
  const about = ref<AboutInfo | null>(null);
  const aboutError = ref<ApiError | null>(null);

  /** Models grouped by family, in the order the host lists them. */
  const modelFamilies = computed(() => {
    const families = new Map<string, ModelInfo[]>();
    for (const model of models.value) {
      const list = families.get(model.family) ?? [];
      list.push(model);
      families.set(model.family, list);
    }
    return [...families].map(([family, list]) => ({ family, models: list }));
  });

  async function load(): Promise<void> {
    loading.value = true;
    const [infoResult, modelsResult, datasetsResult, recipesResult] = await Promise.all([
      connection.call('system.info', {}),
      connection.call('models.list', {}),
      connection.call('datasets.list', {}),
      connection.call('recipes.list', {}),
    ]);
    loading.value = false;
    error.value = null;
    if (infoResult.ok) info.value = infoResult.value;
    if (modelsResult.ok) models.value = modelsResult.value;
    else error.value = modelsResult.error;
    if (recipesResult.ok) recipes.value = recipesResult.value;
    if (datasetsResult.ok) datasets.value = datasetsResult.value;
    else error.value = datasetsResult.error;
    loaded.value = modelsResult.ok && datasetsResult.ok;
  }

  /** The Datasets screen refreshed the list: the Train form offers the same one. */
  function setDatasets(list: DatasetInfo[]): void {
    datasets.value = list;
  }

  /** Asked each time: the log file moves on when it rotates. */
  async function loadAbout(): Promise<void> {
    const result = await connection.call('system.about', {});
    if (result.ok) {
      about.value = result.value;
      aboutError.value = null;
    } else aboutError.value = result.error;
  }

  function findModel(name: string): ModelInfo | undefined {
    return models.value.find((model) => model.name === name);
  }

  function findDataset(id: string): DatasetInfo | undefined {
    return datasets.value.find((dataset) => dataset.id === id);
  }

  function findRecipe(name: string): Recipe | undefined {
    return recipes.value.find((recipe) => recipe.name === name);
  }

  return { info, models, datasets, recipes, modelFamilies, loaded, loading, error, load, setDatasets, about, aboutError, loadAbout, findModel, findDataset, findRecipe };
});
