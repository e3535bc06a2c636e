// data/tar.ts over tar-stream: names arrive whole whatever record carries them (ustar prefix,
// pax), and a cut or foreign archive is refused with a message a person can act on.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readTarEntries } from '../../../src-main/data/tar';
import { tarOf } from '../helpers/tar';

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
});
