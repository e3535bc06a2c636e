/**
 * Tar archives, read and written with tar-stream (ustar, GNU long names and pax records, so a
 * long name arrives whole). `readTarEntries` keeps the regular files a caller wants in memory
 * (the CIFAR archives); store/archive.ts streams a run archive to disk through `eachTarEntry`.
 */
import { createReadStream } from 'node:fs';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

export type TarEntry = tar.Extract extends AsyncIterable<infer E> ? E : never;

/** Regular files: tar's '0' and the rarely used '7' (contiguous), which holds the same bytes. */
export const isRegularFile = (entry: TarEntry) => entry.header.type === 'file' || entry.header.type === 'contiguous-file';

/**
 * The largest pax record set or GNU long name one entry may carry. tar-stream reads such a record
 * whole into memory before the entry it describes (up to its own 4 MiB), and offers no hook to
 * lower that; a real long name or pax set is a few hundred bytes.
 */
export const MAX_TAR_META_BYTES = 64 * 1024;

/** Refused before tar-stream sees it: a pax or long-name record over MAX_TAR_META_BYTES. */
export class TarMetaTooLargeError extends Error {}

const BLOCK = 512;
/** Typeflags of the records that describe the next entry: pax ('x'), global pax ('g'), GNU long link ('K') and name ('L', old 'N'). */
const META_KINDS: Record<string, string> = { x: 'pax header', g: 'global pax header', K: 'GNU long link name', L: 'GNU long name', N: 'GNU long name' };

const padded = (size: number) => Math.ceil(size / BLOCK) * BLOCK;

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? length : end).toString('utf8');
}

/** A header's numeric field as tar-stream reads it: octal (space or NUL padded) or base-256. */
function headerNumber(field: Buffer): number {
  if (field[0] & 0x80) return field.subarray(1).reduce((sum, byte) => sum * 256 + byte, field[0] & 0x7f);
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** A valid header block's checksum (the field counted as spaces); an all-zero block is the end marker, not a header. */
function isValidHeader(block: Buffer): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += block[i];
  return sum !== 8 * 32 && sum === headerNumber(block.subarray(148, 156));
}

function headerName(block: Buffer): string {
  const name = cString(block, 0, 100);
  const ustar = block.subarray(257, 263).toString('latin1') === 'ustar\0';
  return ustar && block[345] ? `${cString(block, 345, 155)}/${name}` : name;
}

/** The complete records of a pax record set ("<length> <key>=<value>\n" each); a cut last record is left out. */
function paxRecords(records: Buffer): Map<string, string> {
  const found = new Map<string, string>();
  for (let at = 0; at < records.length; ) {
    const space = records.indexOf(0x20, at);
    const length = space < 0 ? 0 : parseInt(records.toString('latin1', at, space), 10);
    if (!(length > 0) || at + length > records.length) break;
    const record = records.toString('utf8', space + 1, at + length - 1);
    const equals = record.indexOf('=');
    if (equals > 0) found.set(record.slice(0, equals), record.slice(equals + 1));
    at += length;
  }
  return found;
}

interface MetaRecord {
  flag: string;
  kind: string;
  size: number;
  /** The record's own header name ("PaxHeader", "././@LongLink"). */
  name: string;
  chunks: Buffer[];
  kept: number;
}

/**
 * Passes a tar stream through while walking its headers the way tar-stream will, and fails it on a
 * pax or long-name record over `cap` bytes before a byte of that record is passed on. Of such a
 * record only its first `cap` bytes are read, for the name of the entry it was for (a pax `path`,
 * the long name itself, else the record's own name). A header that is not valid tar is left for
 * tar-stream to report.
 */
class TarMetaCap extends Transform {
  private header: Buffer = Buffer.alloc(0);
  /** Bytes of the current entry's data (with its padding) still to pass before the next header. */
  private dataLeft = 0;
  /** The pax or long-name record being read. */
  private meta: MetaRecord | null = null;
  private localPaxSize: string | undefined;
  private globalPaxSize: string | undefined;
  private hadLocalPax = false;
  private passThrough = false;

  constructor(private readonly cap: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.scan(chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    done(this.meta && this.meta.size > this.cap ? this.refusal(this.meta) : null);
  }

  private refusal(meta: MetaRecord): TarMetaTooLargeError {
    const start = Buffer.concat(meta.chunks);
    const longName = start.subarray(0, start.indexOf(0) < 0 ? start.length : start.indexOf(0)).toString('utf8');
    const entry = meta.flag === 'x' ? (paxRecords(start).get('path') ?? meta.name) : meta.flag === 'L' || meta.flag === 'N' ? longName : meta.name;
    const shown = entry.length > 200 ? `${entry.slice(0, 200)}…` : entry;
    return new TarMetaTooLargeError(
      `tar entry "${shown}" has a ${meta.kind} of ${meta.size.toLocaleString('en')} bytes; long names and pax records may take at most ${this.cap.toLocaleString('en')} bytes`,
    );
  }

  private scan(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.passThrough) {
        this.push(chunk.subarray(at));
        return;
      }
      if (this.dataLeft > 0) {
        const part = chunk.subarray(at, at + this.dataLeft);
        at += part.length;
        this.dataLeft -= part.length;
        if (this.meta) this.keep(this.meta, part);
        else this.push(part);
        if (this.dataLeft === 0 && this.meta) this.endMeta(this.meta);
        continue;
      }
      const wanted = BLOCK - this.header.length;
      const part = chunk.subarray(at, at + wanted);
      this.header = this.header.length === 0 ? part : Buffer.concat([this.header, part]);
      at += part.length;
      if (this.header.length < BLOCK) return;
      const block = this.header;
      this.header = Buffer.alloc(0);
      this.onHeader(block);
    }
  }

  /** Collects a record's bytes: all of an accepted one (passed on), the first `cap` of a refused one. */
  private keep(meta: MetaRecord, part: Buffer): void {
    if (meta.size <= this.cap) {
      meta.chunks.push(part);
      this.push(part);
      return;
    }
    const wanted = Math.min(part.length, this.cap - meta.kept);
    meta.chunks.push(part.subarray(0, wanted));
    meta.kept += wanted;
    if (meta.kept >= this.cap) throw this.refusal(meta);
  }

  private onHeader(block: Buffer): void {
    if (block.every((byte) => byte === 0)) {
      this.push(block);
      return;
    }
    if (!isValidHeader(block)) {
      this.passThrough = true;
      this.push(block);
      return;
    }
    const flag = String.fromCharCode(block[156]);
    let size = headerNumber(block.subarray(124, 136));
    const kind = META_KINDS[flag];
    if (kind) {
      this.meta = { flag, kind, size, name: headerName(block), chunks: [], kept: 0 };
      if (size <= this.cap) this.push(block);
      this.dataLeft = size > 0 ? padded(size) : 0;
      if (this.dataLeft === 0) this.endMeta(this.meta);
      return;
    }
    this.push(block);
    // As tar-stream: a local pax record's size (or, with one, the global record's) replaces the header's.
    const paxSize = this.hadLocalPax ? (this.localPaxSize ?? this.globalPaxSize) : undefined;
    if (paxSize) size = parseInt(paxSize, 10);
    this.hadLocalPax = false;
    this.localPaxSize = undefined;
    const directory = flag === '5' || ((flag === '0' || flag === '\0') && headerName(block).endsWith('/'));
    this.dataLeft = size > 0 && !directory ? padded(size) : 0;
  }

  private endMeta(meta: MetaRecord): void {
    this.meta = null;
    if (meta.size > this.cap) throw this.refusal(meta);
    if (meta.flag !== 'x' && meta.flag !== 'g') return;
    const size = paxRecords(Buffer.concat(meta.chunks).subarray(0, meta.size)).get('size');
    if (meta.flag === 'g') this.globalPaxSize = size;
    else {
      this.hadLocalPax = true;
      this.localPaxSize = size;
    }
  }
}

/**
 * Calls `onEntry` for each entry of the tar stream, one at a time; it must read the entry to its
 * end (or call `entry.resume()`). Throws what `onEntry` throws, or a read error worded for people;
 * a pax or long-name record over MAX_TAR_META_BYTES ends the read before it is buffered.
 */
export async function eachTarEntry(source: AsyncIterable<Buffer> | Readable, onEntry: (entry: TarEntry) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(source, new TarMetaCap(MAX_TAR_META_BYTES), extract);
  feeding.catch(() => undefined);
  try {
    for await (const entry of extract) {
      signal?.throwIfAborted();
      await onEntry(entry);
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    throw tarError(error);
  }
}

/** tar-stream's own messages say what broke inside the format; ours say it to a user. */
function tarError(error: unknown): unknown {
  if (!(error instanceof Error) || (error as NodeJS.ErrnoException).code || error.name === 'AbortError') return error;
  if (/Unexpected end of data/.test(error.message)) return new Error('truncated tar archive');
  if (/Invalid tar header/.test(error.message)) return new Error(`not a tar archive (${error.message})`);
  return error;
}

/**
 * Reads the tar stream and returns the regular files for which `want(name)` is true. Throws on a
 * truncated archive or a bad header.
 */
export async function readTarEntries(source: AsyncIterable<Buffer> | Readable, want: (name: string) => boolean, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  await eachTarEntry(
    source,
    async (entry) => {
      if (!isRegularFile(entry) || !want(entry.header.name)) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      found.set(entry.header.name, Buffer.concat(chunks));
    },
    signal,
  );
  return found;
}

export async function readTarGzFile(path: string, want: (name: string) => boolean, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const stream = createReadStream(path);
  if (!/\.(tgz|gz)$/i.test(path)) return readTarEntries(stream, want, signal);
  const gunzip = createGunzip();
  stream.on('error', (error) => gunzip.destroy(error));
  try {
    return await readTarEntries(stream.pipe(gunzip), want, signal);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR') throw new Error(`truncated tar archive (${(error as Error).message})`);
    throw error;
  } finally {
    stream.destroy();
  }
}

/** A tar stream of the given entries, in order; each file's bytes are read only when its turn comes. */
export function packTar(entries: AsyncIterable<{ header: Partial<tar.Header> & { name: string }; body: Readable | Buffer }> | Iterable<{ header: Partial<tar.Header> & { name: string }; body: Readable | Buffer }>): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for await (const { header, body } of entries) {
        if (Buffer.isBuffer(body)) {
          await new Promise<void>((resolve, reject) => pack.entry(header, body, (error) => (error ? reject(error) : resolve())));
        } else {
          const sink = pack.entry(header);
          await pipeline(body, sink);
        }
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  // tar-stream's streams are streamx streams; callers pipe a Node stream.
  return Readable.from(pack);
}
