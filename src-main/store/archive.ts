/**
 * A run folder as one .tar.gz that another workbench imports. Written and read as streams (the
 * tar codec is data/tar.ts, over tar-stream), so a checkpoint of hundreds of megabytes never sits
 * in memory whole. Entries are named `run/<path inside the run folder>`; an import refuses links,
 * devices and unsafe paths outright, each before a byte of it is written.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { Header } from 'tar-stream';
import { isActiveStatus, RUN_ID_PATTERN } from '../contract';
import { eachTarEntry, isRegularFile, packTar, TarMetaTooLargeError } from '../data/tar';
import { fsyncDir, writeFileDurableSync } from './atomic';
import { IMPORT_PREFIX, type RunRecord, type RunStore } from './runs';

const ROOT = 'run';
export const ARCHIVE_EXTENSION = '.cvbrun.tar.gz';
/** An archive that unpacks bigger than this is refused (a gzip bomb). */
export const MAX_UNPACKED_BYTES = 64 * 1024 ** 3;

export class ArchiveError extends Error {}

/** The files of a run folder, relative, in a stable order; hidden temporaries and links are left out. */
export function runFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir);
  return files;
}

async function* runEntries(dir: string, files: string[]): AsyncGenerator<{ header: Partial<Header> & { name: string }; body: Readable }> {
  for (const file of files) {
    const stat = lstatSync(join(dir, file));
    // A file that grows while being read (a live run) is cut at the size its header gives.
    const body = stat.size === 0 ? Readable.from([]) : createReadStream(join(dir, file), { end: stat.size - 1 });
    yield { header: { name: `${ROOT}/${file}`, size: stat.size, mode: 0o644, mtime: stat.mtime, type: 'file' }, body };
  }
}

/**
 * Writes `dir` (a run folder) as a gzip'd tar at `target`, through a temporary file renamed into
 * place, so a failed export leaves no half archive under the final name. Returns its size.
 */
export async function writeRunArchive(dir: string, target: string): Promise<number> {
  const files = runFiles(dir);
  if (!files.includes('run.json')) throw new ArchiveError(`${dir} is not a run folder (no run.json)`);
  mkdirSync(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(packTar(runEntries(dir, files)), createGzip({ level: 6 }), createWriteStream(tmp));
    renameSync(tmp, target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  return lstatSync(target).size;
}

/**
 * Why an entry name is refused, or null when it is a safe path inside the archive's run folder:
 * relative, below `run/`, no `..` or empty segments, no backslashes or drive letters.
 */
export function unsafeEntryReason(name: string): string | null {
  if (name.includes('\0')) return 'holds a NUL character';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.includes('\\')) return 'holds a backslash';
  const parts = name.replace(/\/$/, '').split('/');
  if (parts.some((part) => part === '..')) return 'climbs out with ".."';
  if (parts.some((part) => part === '' || part === '.')) return 'has an empty or "." segment';
  if (parts[0] !== ROOT) return `is not inside "${ROOT}/"`;
  return null;
}

/**
 * Unpacks a run archive into `target` (which must not exist), checking every entry before a byte
 * of it is written: regular files and folders only (links, devices and FIFOs are refused), safe
 * paths only, the whole under `maxBytes`. Returns the files written, relative to
 * `target`; on a refusal the caller removes `target`.
 */
export async function extractRunArchive(source: Readable, target: string, maxBytes = MAX_UNPACKED_BYTES): Promise<string[]> {
  mkdirSync(target);
  const written: string[] = [];
  let total = 0;
  await eachTarEntry(source, async (entry) => {
    const { name, type, size = 0 } = entry.header;
    const shown = name.slice(0, 200);
    const reason = unsafeEntryReason(name);
    if (reason) throw new ArchiveError(`archive entry "${shown}" ${reason}`);
    const relativePath = name.replace(/\/$/, '').split('/').slice(1).join('/');
    if (type === 'directory') {
      if (size !== 0) throw new ArchiveError(`archive folder "${shown}" has a size`);
      if (relativePath) mkdirSync(join(target, relativePath), { recursive: true });
      entry.resume();
      return;
    }
    if (!isRegularFile(entry)) {
      const kind = type === 'link' ? 'a hard link' : type === 'symlink' ? 'a symbolic link' : `a ${type ?? 'file of unknown type'}`;
      throw new ArchiveError(`archive entry "${shown}" is ${kind}; a run archive holds only files and folders`);
    }
    if (!relativePath) throw new ArchiveError(`archive entry "${shown}" is not a file inside the run`);
    total += size;
    if (total > maxBytes) throw new ArchiveError(`archive entry "${shown}" takes the archive over ${maxBytes.toLocaleString('en')} bytes unpacked`);
    const path = join(target, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) throw new ArchiveError(`archive entry "${shown}" appears twice`);
    written.push(relativePath);
    await pipeline(entry, createWriteStream(path, { flags: 'wx', mode: 0o644 }));
  });
  return written;
}

/**
 * Imports a run archive into the store: unpacked into a hidden folder of runs/, checked, given a
 * new id if its own is taken (or invalid), then renamed into place in one step. A run that was
 * running where the archive was made arrives interrupted.
 */
export async function importRunArchive(store: RunStore, source: Readable | Buffer, maxBytes = MAX_UNPACKED_BYTES): Promise<RunRecord> {
  mkdirSync(store.runsDir, { recursive: true });
  const staging = join(store.runsDir, `${IMPORT_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    const input: Readable = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    const gunzip = createGunzip();
    const feeding = pipeline(input, gunzip);
    let files: string[];
    try {
      files = await extractRunArchive(gunzip, staging, maxBytes);
      await feeding;
    } catch (error) {
      gunzip.destroy();
      feeding.catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new ArchiveError('not a run archive (not gzip data, or cut short)');
      if (error instanceof Error && /^(truncated tar archive|not a tar archive)/.test(error.message)) throw new ArchiveError(`not a run archive (${error.message})`);
      if (error instanceof TarMetaTooLargeError) throw new ArchiveError(error.message);
      throw error;
    }
    if (!files.includes('run.json')) throw new ArchiveError('not a run archive (no run/run.json inside)');
    let record: RunRecord;
    try {
      record = JSON.parse(readFileSync(join(staging, 'run.json'), 'utf8')) as RunRecord;
    } catch (error) {
      throw new ArchiveError(`the archive's run.json cannot be read: ${(error as Error).message}`);
    }
    if (!record || typeof record !== 'object' || !record.config || typeof record.config !== 'object' || typeof record.config.model !== 'string') {
      throw new ArchiveError("the archive's run.json does not describe a run");
    }
    return commitStagedRun(store, staging, record);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Moves a run folder staged inside the runs folder into place as an imported run: its own id when
 * that id is free and well formed, a new one otherwise; a run that was still active where it came
 * from is interrupted here (no worker of ours owns it). The rename is the commit point.
 */
export function commitStagedRun(store: RunStore, staging: string, record: RunRecord): RunRecord {
  const taken = typeof record.id !== 'string' || !RUN_ID_PATTERN.test(record.id) || existsSync(join(store.runsDir, record.id));
  const id = taken ? store.newId(record.config.model) : record.id;
  const imported: RunRecord = {
    ...record,
    id,
    workerPid: null,
    ...(isActiveStatus(record.status) ? { status: 'interrupted' as const, endedAt: record.endedAt ?? new Date().toISOString() } : {}),
  };
  writeFileDurableSync(join(staging, 'run.json'), `${JSON.stringify(imported, null, 2)}\n`);
  fsyncDir(staging);
  renameSync(staging, store.runDir(id));
  fsyncDir(store.runsDir);
  return store.read(id);
}
