/**
 * Runs handed to another engine (issue 14): a run exported as a PyTorch DDP job folder. Its results
 * come back through `runs.import` with the job's run folder as the source path.
 */
import { z } from 'zod';
import { HostPathSchema, RunIdSchema } from './ids';

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
