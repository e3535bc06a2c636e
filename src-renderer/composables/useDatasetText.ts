/**
 * A dataset's name and source in the UI's language. The bundled subset's come from the app's own
 * messages (its dataset.json is English); an imported dataset keeps the name its user gave it.
 */
import { useI18n } from 'vue-i18n';
import { BUNDLED_DATASET_ID, type DatasetInfo } from '../../src-main/contract';

export function useDatasetText() {
  const { t } = useI18n();
  const bundled = (dataset: Pick<DatasetInfo, 'id' | 'bundled'>) => dataset.id === BUNDLED_DATASET_ID && dataset.bundled === true;
  return {
    datasetName: (dataset: Pick<DatasetInfo, 'id' | 'name' | 'bundled'>) => (bundled(dataset) ? t('datasets.bundledSet.name') : dataset.name),
    datasetSource: (dataset: Pick<DatasetInfo, 'id' | 'source' | 'bundled'>) => (bundled(dataset) ? t('datasets.bundledSet.source') : dataset.source),
  };
}
