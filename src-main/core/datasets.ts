/** Core's dataset methods: the bundled sets and the ones imported into the home folder. */
import { join } from 'node:path';
import type { DatasetInfo } from '../contract';
import { listDatasets, type DatasetLocations } from '../data/datasets';
import type { Handlers } from './handlers';

export interface DatasetService {
  locations: DatasetLocations;
  list(): Promise<DatasetInfo[]>;
  handlers: Handlers<'datasets.list'>;
}

export function createDatasetService(home: string, resourcesDir: string): DatasetService {
  const locations: DatasetLocations = { roots: [join(home, 'datasets'), join(resourcesDir, 'datasets')] };
  const list = () => listDatasets(locations);
  return {
    locations,
    list,
    handlers: {
      'datasets.list': () => list(),
    },
  };
}
