/**
 * Downloads the catalog's standard datasets: HTTP Range resume of a `.part` file after an
 * interruption (automatic retries, and across runs), MD5 verification against the published
 * checksums (a mismatch deletes the file and fails), mirrors tried in order.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CATALOG, type CatalogEntry } from './catalog-entries';

export { CATALOG, catalogEntry, type CatalogEntry, type CatalogFile } from './catalog-entries';

export interface DownloadProgress {
  file: string;
  fileIndex: number;
  files: number;
  receivedBytes: number;
  totalBytes: number | null;
}

export class DownloadError extends Error {}
export class ChecksumError extends DownloadError {}

export async function md5File(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DownloadFileOptions {
  md5: string;
  signal?: AbortSignal;
  /** Further attempts after a dropped connection, each resuming where the last stopped. */
  retries?: number;
  onProgress?(receivedBytes: number, totalBytes: number | null): void;
}

export interface DownloadOutcome {
  path: string;
  /** True when the file was already complete and verified. */
  cached: boolean;
  /** How many requests resumed a partial file with a Range header. */
  resumes: number;
}

async function sizeOf(path: string): Promise<number> {
  return existsSync(path) ? (await stat(path)).size : 0;
}

/** One request: appends to `part` from `start`; returns false when the server restarted from 0. */
async function fetchInto(url: string, part: string, start: number, options: DownloadFileOptions): Promise<void> {
  const response = await fetch(url, { headers: start > 0 ? { Range: `bytes=${start}-` } : {}, signal: options.signal, redirect: 'follow' });
  if (response.status === 416) {
    await response.body?.cancel();
    return; // The part file is already whole; the checksum decides.
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownloadError(`${url}: HTTP ${response.status} ${response.statusText}`);
  }
  let offset = start;
  if (start > 0 && response.status !== 206) offset = 0;
  if (response.status === 206) {
    const range = /bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== start) offset = 0;
  }
  if (offset === 0 && response.status === 206 && start > 0) {
    await response.body?.cancel();
    await rm(part, { force: true });
    throw new DownloadError(`${url}: the server answered a different range; restarting`);
  }
  const length = Number(response.headers.get('content-length'));
  const total = Number.isFinite(length) && length > 0 ? offset + length : null;
  const file = await open(part, offset === 0 ? 'w' : 'a');
  let received = offset;
  try {
    if (!response.body) throw new DownloadError(`${url}: empty response`);
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      received += chunk.length;
      options.onProgress?.(received, total);
    }
  } finally {
    await file.close();
  }
  if (total !== null && received < total) throw new DownloadError(`${url}: connection closed after ${received} of ${total} bytes`);
}

/** Downloads `url` to `dest` (via `dest.part`), resuming and verifying; see the module comment. */
export async function downloadFile(url: string, dest: string, options: DownloadFileOptions): Promise<DownloadOutcome> {
  if (existsSync(dest)) {
    if ((await md5File(dest)) === options.md5) return { path: dest, cached: true, resumes: 0 };
    await rm(dest, { force: true });
  }
  const part = `${dest}.part`;
  const retries = options.retries ?? 3;
  let resumes = 0;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    const start = await sizeOf(part);
    if (start > 0) resumes++;
    try {
      await fetchInto(url, part, start, options);
      break;
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const message = error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
      if (attempt >= retries || /HTTP 4\d\d/.test(message)) {
        throw new DownloadError(`${message}${existsSync(part) ? '; the partial file is kept and the next try resumes it' : ''}`);
      }
    }
  }
  const actual = await md5File(part);
  if (actual !== options.md5) {
    await rm(part, { force: true });
    throw new ChecksumError(`${url}: checksum mismatch (expected md5 ${options.md5}, got ${actual}); the download was deleted`);
  }
  await rename(part, dest);
  return { path: dest, cached: false, resumes };
}

export interface CatalogDownloadOptions {
  signal?: AbortSignal;
  onProgress?(progress: DownloadProgress): void;
  /** Replaces the entry's mirrors (tests, or a user's own mirror). */
  mirrors?: string[];
  retries?: number;
}

/** Downloads every file of a catalog entry into `<downloadsDir>/<name>/` and returns that folder. */
export async function downloadCatalogEntry(entry: CatalogEntry, downloadsDir: string, options: CatalogDownloadOptions = {}): Promise<string> {
  const dir = join(downloadsDir, entry.name);
  await mkdir(dir, { recursive: true });
  const mirrors = options.mirrors ?? entry.mirrors;
  for (const [fileIndex, file] of entry.files.entries()) {
    const failures: string[] = [];
    let done = false;
    for (const mirror of mirrors) {
      try {
        await downloadFile(`${mirror}${file.name}`, join(dir, file.name), {
          md5: file.md5,
          signal: options.signal,
          retries: options.retries,
          onProgress: (receivedBytes, totalBytes) =>
            options.onProgress?.({ file: file.name, fileIndex, files: entry.files.length, receivedBytes, totalBytes: totalBytes ?? file.size ?? null }),
        });
        done = true;
        break;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failures.push((error as Error).message);
      }
    }
    if (!done) throw new DownloadError(`could not download ${entry.title} (${file.name}): ${failures.join('; ')}`);
  }
  return dir;
}

/** Which catalog files are already in `<downloadsDir>/<name>/` (not verified: that costs a read). */
export function downloadedFiles(entry: CatalogEntry, downloadsDir: string): string[] {
  return entry.files.filter((f) => existsSync(join(downloadsDir, entry.name, f.name))).map((f) => f.name);
}

export const catalogNames = () => CATALOG.map((e) => e.name);
