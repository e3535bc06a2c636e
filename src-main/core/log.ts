/**
 * The log file of the desktop app and of `cvb serve`: JSON lines (pino) in `<home>/logs/`, rotated
 * by size (pino-roll), so a user can attach something to a bug report. pino-roll is used as a plain
 * stream in this process (no transport worker thread), which keeps it working inside Electron's
 * bundled main process and lets a test make rotation deterministic with `sync`.
 */
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import pinoRoll from 'pino-roll';

export type { Logger };

export interface LogFile {
  logger: Logger;
  folder: string;
  /** The file being written now (rotation moves on to workbench.2.log, workbench.3.log, ...). */
  currentFile(): string;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export interface LogFileOptions {
  folder: string;
  /** Bytes per file before the next one starts; default 10 MiB. */
  maxBytes?: number;
  /** Older files kept besides the current one; default 5. */
  keep?: number;
  /** Write each line before returning (tests); default false, buffered. */
  sync?: boolean;
}

export const LOG_FILE_NAME = 'workbench';

/** A logger that writes nothing: Core's default when its host keeps no log file (the CLI, tests). */
export const silentLogger: Logger = pino({ level: 'silent' });

export async function openLogFile(options: LogFileOptions): Promise<LogFile> {
  const stream = await pinoRoll({
    file: join(options.folder, LOG_FILE_NAME),
    extension: '.log',
    size: `${options.maxBytes ?? 10 * 1024 * 1024}b`,
    limit: { count: options.keep ?? 5 },
    mkdir: true,
    sync: options.sync ?? false,
  });
  const logger = pino({ base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, stream);
  return {
    logger,
    folder: options.folder,
    currentFile: () => stream.file,
    close: () =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.end();
      }),
  };
}
