/**
 * Tar archives, read and written with tar-stream (ustar, GNU long names and pax records, so a
 * long name arrives whole). `readTarEntries` keeps the regular files a caller wants in memory
 * (the CIFAR archives); store/archive.ts streams a run archive to disk through `eachTarEntry`.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';

export type TarEntry = tar.Extract extends AsyncIterable<infer E> ? E : never;

/** Regular files: tar's '0' and the rarely used '7' (contiguous), which holds the same bytes. */
export const isRegularFile = (entry: TarEntry) => entry.header.type === 'file' || entry.header.type === 'contiguous-file';

/**
 * Calls `onEntry` for each entry of the tar stream, one at a time; it must read the entry to its
 * end (or call `entry.resume()`). Throws what `onEntry` throws, or a read error worded for people.
 */
export async function eachTarEntry(source: AsyncIterable<Buffer> | Readable, onEntry: (entry: TarEntry) => Promise<void>, signal?: AbortSignal): Promise<void> {
  const extract = tar.extract();
  const feeding = pipeline(source, extract);
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
