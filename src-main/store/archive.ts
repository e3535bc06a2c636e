/**
 * A run folder as one .tar.gz (ustar, GNU long names) that another workbench imports. Written
 * and read as streams, so a checkpoint of hundreds of megabytes never sits in memory whole.
 *
 * data/tar.ts reads the CIFAR archives, but it keeps the entries it wants in memory and skips
 * links silently; an import must refuse links and bad paths outright and stream to disk, so the
 * reader here reports every entry's type. Entries are named `run/<path inside the run folder>`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { isActiveStatus, RUN_ID_PATTERN } from '../contract';
import { fsyncDir, writeFileDurableSync } from './atomic';
import { IMPORT_PREFIX, type RunRecord, type RunStore } from './runs';

const BLOCK = 512;
const ROOT = 'run';
export const ARCHIVE_EXTENSION = '.cvbrun.tar.gz';
/** An archive that unpacks bigger than this is refused (a gzip bomb). */
const MAX_UNPACKED_BYTES = 64 * 1024 ** 3;

export class ArchiveError extends Error {}

function header(name: string, size: number, type: '0' | '5' | 'L', mtime: number): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(name.slice(0, 100), 0, 100, 'utf8');
  block.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write(`${Math.floor(mtime).toString(8).padStart(11, '0')}\0`, 136);
  block.write('        ', 148);
  block.write(type, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function padding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

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

async function* tarStream(dir: string, files: string[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    const name = `${ROOT}/${file}`;
    const stat = lstatSync(join(dir, file));
    const bytes = Buffer.byteLength(name, 'utf8');
    if (bytes > 100) {
      yield header('././@LongLink', bytes + 1, 'L', 0);
      yield Buffer.from(`${name}\0`, 'utf8');
      yield padding(bytes + 1);
    }
    yield header(name, stat.size, '0', stat.mtimeMs / 1000);
    let written = 0;
    for await (const chunk of createReadStream(join(dir, file)) as AsyncIterable<Buffer>) {
      // A file that grew while being read (a live run) is cut at its size from the header.
      const take = chunk.subarray(0, Math.max(0, stat.size - written));
      written += take.length;
      yield take;
    }
    if (written < stat.size) yield Buffer.alloc(stat.size - written);
    yield padding(stat.size);
  }
  yield Buffer.alloc(BLOCK * 2);
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
    await pipeline(tarStream(dir, files), createGzip({ level: 6 }), createWriteStream(tmp));
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

interface OpenEntry {
  header: EntryHeader;
  /** The file being written; null for a long-name or pax record. */
  fd: number | null;
  remaining: number;
  padding: number;
  /** The bytes of a GNU long name record. */
  longName: Buffer[] | null;
}

interface EntryHeader {
  name: string;
  size: number;
  type: string;
}

function field(block: Buffer, start: number, length: number): string {
  const end = block.indexOf(0, start);
  return block.toString('utf8', start, end >= 0 && end < start + length ? end : start + length);
}

function octal(block: Buffer, start: number, length: number): number {
  const text = field(block, start, length).trim();
  if (text && !/^[0-7]+$/.test(text)) throw new ArchiveError('not a run archive (bad number in a tar header)');
  return text ? parseInt(text, 8) : 0;
}

function parseHeader(block: Buffer): EntryHeader {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  if (sum !== octal(block, 148, 8)) throw new ArchiveError('not a run archive (tar header checksum mismatch)');
  const prefix = block.toString('utf8', 257, 263).startsWith('ustar') ? field(block, 345, 155) : '';
  const name = prefix ? `${prefix}/${field(block, 0, 100)}` : field(block, 0, 100);
  return { name, size: octal(block, 124, 12), type: String.fromCharCode(block[156] || 48) };
}

/**
 * Unpacks a run archive into `target` (which must not exist), checking every entry before a byte
 * of it is written: regular files and folders only (links, devices and FIFOs are refused), safe
 * paths only. Returns the files written, relative to `target`.
 */
export async function extractRunArchive(source: Readable, target: string): Promise<string[]> {
  mkdirSync(target);
  const written: string[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let longName: string | null = null;
  let entry: OpenEntry | null = null;
  let ended = false;
  let total = 0;

  const open = (h: EntryHeader) => {
    if (h.type === 'L') {
      if (h.size > 4096) throw new ArchiveError('a long file name in the archive is over 4096 bytes');
      entry = { header: h, fd: null, remaining: h.size, padding: (BLOCK - (h.size % BLOCK)) % BLOCK, longName: [] };
      return;
    }
    const name = longName ?? h.name;
    longName = null;
    // pax headers carry extended attributes; the names checked are the plain ones that follow.
    if (h.type === 'x' || h.type === 'g') {
      entry = { header: h, fd: null, remaining: h.size, padding: (BLOCK - (h.size % BLOCK)) % BLOCK, longName: null };
      return;
    }
    const reason = unsafeEntryReason(name);
    if (reason) throw new ArchiveError(`archive entry "${name.slice(0, 200)}" ${reason}`);
    const relativePath = name.replace(/\/$/, '').split('/').slice(1).join('/');
    if (h.type === '5') {
      if (relativePath) mkdirSync(join(target, relativePath), { recursive: true });
      entry = null;
      if (h.size !== 0) throw new ArchiveError(`archive folder "${name}" has a size`);
      return;
    }
    if (h.type !== '0' && h.type !== '7') {
      const kind = h.type === '1' ? 'a hard link' : h.type === '2' ? 'a symbolic link' : `of type "${h.type}"`;
      throw new ArchiveError(`archive entry "${name.slice(0, 200)}" is ${kind}; a run archive holds only files and folders`);
    }
    if (!relativePath) throw new ArchiveError(`archive entry "${name}" is not a file inside the run`);
    total += h.size;
    if (total > MAX_UNPACKED_BYTES) throw new ArchiveError('the archive unpacks to more than 64 GiB');
    const path = join(target, relativePath);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) throw new ArchiveError(`archive entry "${name}" appears twice`);
    written.push(relativePath);
    entry = { header: h, fd: openSync(path, 'wx', 0o644), remaining: h.size, padding: (BLOCK - (h.size % BLOCK)) % BLOCK, longName: null };
  };

  const close = () => {
    const current = entry as OpenEntry;
    if (current.fd !== null) closeSync(current.fd);
    if (current.longName) longName = Buffer.concat(current.longName).toString('utf8').replace(/\0+$/, '');
    entry = null;
  };

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      // After the end-of-archive blocks, the rest (tar's record padding) is read and ignored:
      // leaving the loop early would destroy the stream still being fed.
      if (ended) continue;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let offset = 0;
      while (!ended) {
        if (entry) {
          const current: OpenEntry = entry;
          const take = Math.min(current.remaining, pending.length - offset);
          if (take > 0) {
            const piece = pending.subarray(offset, offset + take);
            if (current.fd !== null) {
              let done = 0;
              while (done < piece.length) done += writeSync(current.fd, piece, done, piece.length - done);
            } else if (current.longName) current.longName.push(Buffer.from(piece));
          }
          offset += take;
          current.remaining -= take;
          if (current.remaining > 0) break;
          const skip = Math.min(current.padding, pending.length - offset);
          offset += skip;
          current.padding -= skip;
          if (current.padding > 0) break;
          close();
          continue;
        }
        if (pending.length - offset < BLOCK) break;
        const block = pending.subarray(offset, offset + BLOCK);
        offset += BLOCK;
        if (block.every((b) => b === 0)) {
          ended = true;
          break;
        }
        open(parseHeader(block));
      }
      pending = pending.subarray(offset);
    }
    if (entry || !ended) throw new ArchiveError('the archive is truncated');
  } finally {
    const unfinished = entry as OpenEntry | null;
    if (unfinished?.fd != null) closeSync(unfinished.fd);
  }
  return written;
}

/**
 * Imports a run archive into the store: unpacked into a hidden folder of runs/, checked, given a
 * new id if its own is taken (or invalid), then renamed into place in one step. A run that was
 * running where the archive was made arrives interrupted.
 */
export async function importRunArchive(store: RunStore, source: Readable | Buffer): Promise<RunRecord> {
  mkdirSync(store.runsDir, { recursive: true });
  const staging = join(store.runsDir, `${IMPORT_PREFIX}${randomBytes(6).toString('hex')}`);
  try {
    const input: Readable = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    const gunzip = createGunzip();
    const feeding = pipeline(input, gunzip);
    let files: string[];
    try {
      files = await extractRunArchive(gunzip, staging);
      await feeding;
    } catch (error) {
      gunzip.destroy();
      feeding.catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new ArchiveError('not a run archive (not gzip data, or cut short)');
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
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
