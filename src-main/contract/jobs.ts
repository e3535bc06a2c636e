/**
 * Runs handed to another engine (issue 14): a run exported as a PyTorch DDP job folder, its results
 * back through `runs.import` with the job's run folder as the source path; an experiment exported
 * as one job per arm and seed, its results back through `experiments.import` as the experiment.
 */
import { z } from 'zod';
import { ExperimentIdSchema, ExperimentSummarySchema } from './experiments';
import { HostPathSchema, RunIdSchema } from './ids';
import { SwitchValueSchema } from './models';

export const RunJobExportRequestSchema = z.strictObject({
  id: RunIdSchema,
  /** Where the job folder is written on the host (the CLI's --out); default <home>/exports/<id>-pytorch-job. */
  out: HostPathSchema.optional(),
});

export const RunJobExportResponseSchema = z.object({
  /** The job folder on the host. */
  path: z.string(),
  files: z.array(z.string()),
  /** The network's trainable parameters, which model.py checks at start-up. */
  trainableParameters: z.number().int(),
});
export type RunJobExportResponse = z.infer<typeof RunJobExportResponseSchema>;

/** An experiment as PyTorch jobs: one job per arm, one task per arm and seed, with launchers. */
export const ExperimentJobExportRequestSchema = z.strictObject({
  id: ExperimentIdSchema,
  /** A new or empty folder on the host (the CLI's --out); default a new folder <home>/exports/<id>-pytorch-jobs. */
  out: HostPathSchema.optional(),
});

export const ExperimentJobExportResponseSchema = z.object({
  path: z.string(),
  files: z.array(z.string()),
  /** Arms × seeds: the lines of jobs.tsv and the tasks of the Slurm array. */
  tasks: z.number().int(),
  arms: z.array(z.object({ value: SwitchValueSchema, trainableParameters: z.number().int() })),
});
export type ExperimentJobExportResponse = z.infer<typeof ExperimentJobExportResponseSchema>;

/** An experiment's jobs folder, after (some of) its jobs ran: its runs come home as the experiment. */
export const ExperimentImportRequestSchema = z.strictObject({
  source: z.strictObject({ path: HostPathSchema }),
});

export const ExperimentImportResponseSchema = ExperimentSummarySchema.extend({
  /** The runs imported, in task order (seed by seed across arms). */
  imported: z.array(RunIdSchema),
  /** Run ids of the tasks that wrote no run folder yet (their slots stay empty; `resume` runs them here). */
  missing: z.array(z.string()),
});
export type ExperimentImportResponse = z.infer<typeof ExperimentImportResponseSchema>;
