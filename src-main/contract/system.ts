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
  /** Threads a run uses when its config names none (physical cores minus one, at least 1). */
  defaultThreads: z.number().int().min(1).optional(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

/** What a bug report needs: the versions, and where the log file and the crash dumps are. */
export const AboutInfoSchema = z.object({
  versions: z.object({
    app: z.string(),
    node: z.string(),
    /** Null outside the desktop app. */
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
    platform: z.string(),
  }),
  /** The log file being written now; null when this host keeps none (the CLI). */
  logFile: z.string().nullable(),
  logFolder: z.string().nullable(),
  /** Local crash dumps (the desktop app; nothing is uploaded); null elsewhere. */
  crashDumpsFolder: z.string().nullable(),
});
export type AboutInfo = z.infer<typeof AboutInfoSchema>;
