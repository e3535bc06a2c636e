/** Tar archives for tests, written by the project's own tar writer (data/tar.ts). */
import { buffer } from 'node:stream/consumers';
import { packTar } from '../../../src-main/data/tar';

export interface TarFixtureEntry {
  name: string;
  data?: Uint8Array;
  /** Default 'file'; 'symlink' and 'link' take `linkname`. */
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
}

export async function tarOf(entries: TarFixtureEntry[]): Promise<Buffer> {
  return buffer(
    packTar(
      entries.map(({ name, data = new Uint8Array(), type = 'file', linkname }) => ({
        header: { name, type, linkname, size: type === 'file' ? data.length : 0, mode: type === 'directory' ? 0o755 : 0o644 },
        body: Buffer.from(type === 'file' ? data : new Uint8Array()),
      })),
    ),
  );
}
