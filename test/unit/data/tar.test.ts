// data/tar.ts over tar-stream: names arrive whole whatever record carries them (ustar prefix,
// pax), and a cut or foreign archive is refused with a message a person can act on.
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { MAX_TAR_META_BYTES, packTar, readTarEntries, TarMetaTooLargeError } from '../../../src-main/data/tar';
import { tarOf } from '../helpers/tar';

/** A tar of `entries` (header fields as tar-stream takes them), as bytes. */
function tarWith(entries: { header: Record<string, unknown> & { name: string }; body: Buffer }[]): Promise<Buffer> {
  return buffer(packTar(entries));
}

/** Rewrites the header block at `offset` with another size field or typeflag, checksum recomputed. */
function withHeader(archive: Buffer, offset: number, change: { size?: number; typeflag?: string }): Buffer {
  const copy = Buffer.from(archive);
  const block = copy.subarray(offset, offset + 512);
  if (change.size !== undefined) block.write(`${change.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  if (change.typeflag !== undefined) block.write(change.typeflag, 156, 'latin1');
  block.fill(0x20, 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return copy;
}

describe('tar reader', () => {
  it('keeps the wanted files under their whole names, long ones from pax records included', async () => {
    const long = `cifar-100-binary/${'deep/'.repeat(60)}train.bin`;
    const archive = await tarOf([
      { name: long, data: Buffer.from('train') },
      { name: 'cifar-100-binary/readme.html', data: Buffer.from('<html>') },
      { name: 'cifar-100-binary/link.bin', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    expect(long.length).toBeGreaterThan(255);
    const found = await readTarEntries(Readable.from([archive]), (name) => name.endsWith('.bin'));
    expect([...found.keys()]).toEqual([long]);
    expect(found.get(long)?.toString()).toBe('train');
  });

  it('refuses a cut archive and one that is not tar', async () => {
    const archive = await tarOf([{ name: 'a.bin', data: Buffer.alloc(3000, 1) }]);
    await expect(readTarEntries(Readable.from([archive.subarray(0, 2000)]), () => true)).rejects.toThrow(/truncated tar archive/);
    await expect(readTarEntries(Readable.from([Buffer.alloc(1024, 65)]), () => true)).rejects.toThrow(/not a tar archive/);
  });

  it('refuses a pax record over the cap before buffering it, naming the entry it was for', async () => {
    const archive = await tarWith([
      { header: { name: 'ok.bin', size: 2 }, body: Buffer.from('ok') },
      { header: { name: 'big.bin', size: 3, pax: { comment: 'x'.repeat(100_000) } }, body: Buffer.from('big') },
    ]);
    const refusal = readTarEntries(Readable.from([archive]), () => true);
    await expect(refusal).rejects.toThrow(TarMetaTooLargeError);
    await expect(refusal).rejects.toThrow(/tar entry "big.bin" has a pax header of 100,\d{3} bytes; long names and pax records may take at most 65,536 bytes/);
  });

  it('refuses a GNU long name over the cap by its start, and a global pax record by its own name', async () => {
    // tar-stream writes no such records itself: written as files, then given their typeflags.
    const longName = { header: { name: '././@LongLink', size: MAX_TAR_META_BYTES + 1 }, body: Buffer.alloc(MAX_TAR_META_BYTES + 1, 97) };
    const archive = withHeader(await tarWith([longName, { header: { name: 'aaaa.bin', size: 1 }, body: Buffer.from('a') }]), 0, { typeflag: 'L' });
    await expect(readTarEntries(Readable.from([archive]), () => true)).rejects.toThrow(new RegExp(`tar entry "a{200}…" has a GNU long name of 65,537 bytes`));
    const global = withHeader(await tarWith([{ header: { name: 'pax_global_header', size: 70_000 }, body: Buffer.alloc(70_000, 32) }]), 0, { typeflag: 'g' });
    // Cut inside the record, it is still refused as too large rather than as cut short.
    await expect(readTarEntries(Readable.from([global.subarray(0, 20_000)]), () => true)).rejects.toThrow(/tar entry "pax_global_header" has a global pax header of 70,000 bytes/);
  });

  it('reads a pax record just under the cap, fed in small pieces', async () => {
    const archive = await tarWith([{ header: { name: 'a.bin', size: 3, pax: { comment: 'x'.repeat(MAX_TAR_META_BYTES - 100) } }, body: Buffer.from('abc') }]);
    const pieces = Array.from({ length: Math.ceil(archive.length / 100) }, (_, i) => archive.subarray(i * 100, (i + 1) * 100));
    const found = await readTarEntries(Readable.from(pieces), () => true);
    expect(found.get('a.bin')?.toString()).toBe('abc');
  });

  it('follows a pax size record past an entry whose header size says otherwise, as tar-stream does', async () => {
    const body = Buffer.alloc(3000, 7);
    const archive = await tarWith([
      { header: { name: 'sized.bin', size: body.length, pax: { size: String(body.length) } }, body },
      { header: { name: 'after.bin', size: 1, pax: { comment: 'y'.repeat(100_000) } }, body: Buffer.from('z') },
    ]);
    // The first entry's own header (after its pax header and one block of records) is made to claim
    // no data: only the pax size record says where the next header starts.
    const entryHeader = 1024;
    expect(String.fromCharCode(archive[entryHeader + 156])).toBe('0');
    const patched = withHeader(archive, entryHeader, { size: 0 });
    await expect(readTarEntries(Readable.from([patched]), () => true)).rejects.toThrow(/tar entry "after.bin" has a pax header/);
  });
});

