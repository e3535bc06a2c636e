/**
 * A minimal streaming tar reader (ustar, GNU long names, pax headers skipped), enough for the
 * CIFAR binary archives. Entries the caller wants are collected in memory; the rest are skipped.
 */
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

const BLOCK = 512;
/** The entry that carries the next entry's long name (GNU tar, type 'L'). */
const LONG_NAME = '\0longname';

function field(header: Buffer, start: number, length: number): string {
  const end = header.indexOf(0, start);
  return header.toString('utf8', start, end >= 0 && end < start + length ? end : start + length);
}

function octal(header: Buffer, start: number, length: number): number {
  const text = field(header, start, length).trim();
  return text ? parseInt(text, 8) : 0;
}

/**
 * Reads the tar stream and returns the regular files for which `want(name)` is true. Throws on a
 * truncated archive or a bad header checksum.
 */
export async function readTarEntries(source: AsyncIterable<Buffer>, want: (name: string) => boolean, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  let pending: Buffer = Buffer.alloc(0);
  let longName: string | null = null;
  let entry: { name: string; size: number; keep: boolean; chunks: Buffer[]; remaining: number; padding: number } | null = null;
  let ended = false;
  for await (const chunk of source) {
    signal?.throwIfAborted();
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let offset = 0;
    while (!ended) {
      if (entry) {
        const take = Math.min(entry.remaining, pending.length - offset);
        if (entry.keep && take > 0) entry.chunks.push(pending.subarray(offset, offset + take));
        offset += take;
        entry.remaining -= take;
        if (entry.remaining > 0) break;
        const skip = Math.min(entry.padding, pending.length - offset);
        offset += skip;
        entry.padding -= skip;
        if (entry.padding > 0) break;
        if (entry.name === LONG_NAME) longName = Buffer.concat(entry.chunks).toString('utf8').replace(/\0+$/, '');
        else if (entry.keep) found.set(entry.name, Buffer.concat(entry.chunks));
        entry = null;
        continue;
      }
      if (pending.length - offset < BLOCK) break;
      const header = pending.subarray(offset, offset + BLOCK);
      offset += BLOCK;
      if (header.every((b) => b === 0)) {
        ended = true;
        break;
      }
      let sum = 0;
      for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
      if (sum !== octal(header, 148, 8)) throw new Error('not a tar archive (header checksum mismatch)');
      const size = octal(header, 124, 12);
      const type = String.fromCharCode(header[156] || 48);
      const prefix = header.toString('utf8', 257, 263).startsWith('ustar') ? field(header, 345, 155) : '';
      const name: string = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
      longName = null;
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;
      const keep = type === 'L' || ((type === '0' || type === '7') && want(name));
      entry = { name: type === 'L' ? LONG_NAME : name, size, keep, chunks: [], remaining: size, padding };
    }
    pending = pending.subarray(offset);
    if (ended) break;
  }
  if (entry && (entry.remaining > 0 || entry.padding > 0)) throw new Error(`truncated tar archive (in ${entry.name})`);
  if (!ended && pending.length > 0) throw new Error('truncated tar archive');
  return found;
}

export function readTarGzFile(path: string, want: (name: string) => boolean, signal?: AbortSignal): Promise<Map<string, Buffer>> {
  const stream = createReadStream(path);
  const source = /\.(tgz|gz)$/i.test(path) ? stream.pipe(createGunzip()) : stream;
  stream.on('error', (error) => source.destroy(error));
  return readTarEntries(source as AsyncIterable<Buffer>, want, signal);
}

/** Writes a tar archive of the given files (test fixtures). */
export function encodeTar(files: { name: string; data: Uint8Array }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    const header = Buffer.alloc(BLOCK);
    header.write(file.name, 0, 100, 'utf8');
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${file.data.length.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(header, Buffer.from(file.data), Buffer.alloc((BLOCK - (file.data.length % BLOCK)) % BLOCK));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}
