/**
 * Core's side of issue 14: a run exported as a PyTorch DDP job folder (src-main/export/job.ts).
 * Its results come back through runs.import (run-library.ts), which takes the job's run folder.
 */
import { join, resolve } from 'node:path';
import { findDatasetDirs, listDatasets, type DatasetLocations } from '../data/datasets';
import { describeJob, JobExportError, writeJobFolder } from '../export/job';
import type { RunStore } from '../store/runs';
import { fail, guardedBy, WorkbenchError } from './errors';
import type { Handlers } from './handlers';

export interface JobServiceOptions {
  store: RunStore;
  locations: DatasetLocations;
  exportsDir: string;
  version: string;
}

const guarded = guardedBy((error) =>
  error instanceof JobExportError ? new WorkbenchError({ code: 'invalid_request', field: error.field, message: `${error.field}: ${error.message}` }) : error,
);

export function createJobService(options: JobServiceOptions): { handlers: Handlers<'runs.exportJob'> } {
  const { store, locations } = options;
  return {
    handlers: {
      'runs.exportJob': guarded(async ({ id, out }) => {
        const record = store.read(id);
        const dataset = (await listDatasets(locations)).find((d) => d.id === record.config.dataset);
        if (!dataset) {
          return fail({ code: 'unavailable', field: 'id', message: `the run's dataset "${record.config.dataset}" is not in this workbench; import it first (the job needs its classes and input size)` });
        }
        const datasetPath = (await findDatasetDirs(locations)).get(dataset.id)?.dir ?? null;
        const path = resolve(out ?? join(options.exportsDir, `${id}-pytorch-job`));
        const job = await describeJob({ record, dataset, datasetPath, workbenchVersion: options.version });
        return { path, files: writeJobFolder(job, path), trainableParameters: job.model.trainableParameters };
      }),
    },
  };
}
