/**
 * The machine a host runs on: its TF.js backend and what the System screen shows.
 * Pure TypeScript + zod: no node:, electron or DOM imports, so both runtimes can import this file.
 */
import { z } from 'zod';

export const BackendNameSchema = z.enum(['tensorflow', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendNameSchema>;

export const BackendReportSchema = z.object({
  name: BackendNameSchema,
  device: z.string(),
  /** Threads one operation runs on (wasm: XNNPACK's pool; absent where the library picks its own). */
  threads: z.number().int().min(1).optional(),
  /** Why each better backend was passed over, best first. */
  passedOver: z.array(z.object({ name: BackendNameSchema, reason: z.string() })),
});
export type BackendReport = z.infer<typeof BackendReportSchema>;

export const SystemInfoSchema = z.object({
  version: z.string(),
  platform: z.string(),
  home: z.string(),
  mode: z.enum(['electron', 'serve', 'cli', 'test']),
  backend: BackendReportSchema.nullable(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;
