import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, ChecksumError, downloadCatalogEntry, downloadFile, type CatalogEntry } from '../../../src-main/data/catalog';
import { loadDataset } from '../../../src-main/data/datasets';
import { importDataset } from '../../../src-main/data/import';
import { tarOf } from '../helpers/tar';
import { write } from './fixtures';

const work = mkdtempSync(join(tmpdir(), 'cvb-cifar-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** CIFAR binary records: label byte(s), then 1024 red, 1024 green, 1024 blue bytes. */
function cifarRecords(count: number, labelBytes: 1 | 2, classes: number, seed: number): Uint8Array {
  const record = labelBytes + 3072;
  const out = new Uint8Array(count * record);
  for (let n = 0; n < count; n++) {
    const label = (n + seed) % classes;
    if (labelBytes === 2) out[n * record] = label % 20;
    out[n * record + labelBytes - 1] = label;
    for (let p = 0; p < 1024; p++) {
      out[n * record + labelBytes + p] = (n * 7 + p) & 255; // red plane
      out[n * record + labelBytes + 1024 + p] = 100; // green plane
      out[n * record + labelBytes + 2048 + p] = label; // blue plane
    }
  }
  return out;
}

describe('CIFAR binary archives', () => {
  const names = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
  const files = [
    { name: 'cifar-10-batches-bin/data_batch_1.bin', data: cifarRecords(20, 1, 10, 0) },
    { name: 'cifar-10-batches-bin/data_batch_2.bin', data: cifarRecords(20, 1, 10, 3) },
    { name: 'cifar-10-batches-bin/test_batch.bin', data: cifarRecords(10, 1, 10, 0) },
    { name: 'cifar-10-batches-bin/batches.meta.txt', data: Buffer.from(`${names.join('\n')}\n\n`) },
    { name: 'cifar-10-batches-bin/readme.html', data: Buffer.from('<html></html>') },
  ];

  it('imports the .tar.gz: planar records become interleaved H×W×C pixels', async () => {
    const archive = join(work, 'cifar-10-binary.tar.gz');
    writeFileSync(archive, gzipSync(await tarOf(files)));
    const result = await importDataset({ path: archive, datasetsDir: join(work, 'datasets') });
    expect(result).toMatchObject({ id: 'cifar-10', name: 'CIFAR-10', classes: names, input: [32, 32, 3] });
    expect(Object.values(result.counts.train).reduce((a, b) => a + b)).toBe(40);
    expect(Object.values(result.counts.test).reduce((a, b) => a + b)).toBe(10);
    const loaded = await loadDataset({ roots: [join(work, 'datasets')] }, 'cifar-10');
    // Image 1 of batch 1: label 1; pixel p = (red (7 + p) & 255, green 100, blue = label).
    expect(loaded.train.labels[1]).toBe(1);
    expect(Array.from(loaded.train.images.subarray(3072 + 5 * 3, 3072 + 6 * 3))).toEqual([12, 100, 1]);
    // Batch 2 follows batch 1: its first image has label 3.
    expect(loaded.train.labels[20]).toBe(3);
  });

  it('imports the extracted folder and CIFAR-100 (fine labels, names from the archive)', async () => {
    for (const file of files) write(join(work, 'extracted', file.name), file.data);
    const extracted = await importDataset({ path: join(work, 'extracted'), datasetsDir: join(work, 'datasets'), name: 'cifar extracted' });
    expect(extracted.counts.train.truck).toBe(4);

    const fine = Array.from({ length: 100 }, (_, i) => `thing_${i}`);
    const hundred = join(work, 'c100');
    write(join(hundred, 'cifar-100-binary', 'train.bin'), cifarRecords(200, 2, 100, 0));
    write(join(hundred, 'cifar-100-binary', 'test.bin'), cifarRecords(100, 2, 100, 0));
    write(join(hundred, 'cifar-100-binary', 'fine_label_names.txt'), fine.join('\n'));
    const result = await importDataset({ path: hundred, datasetsDir: join(work, 'datasets'), size: 16, resize: 'squash' });
    expect(result.classes).toEqual(fine);
    expect(result.input).toEqual([16, 16, 3]);
    expect(result.counts.train.thing_99).toBe(2);
  });

  it('refuses a truncated archive with a clear message', async () => {
    const archive = join(work, 'broken', 'cifar-10-binary.tar.gz');
    write(archive, gzipSync((await tarOf(files)).subarray(0, 9000)));
    await expect(importDataset({ path: archive, datasetsDir: join(work, 'datasets') })).rejects.toThrow(/truncated tar archive/);
  });
});

describe('catalog downloads against a local server', () => {
  const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) & 255));
  const md5 = createHash('md5').update(payload).digest('hex');
  const requests: { url: string; range: string | undefined }[] = [];
  let dropNext = false;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url!, range: req.headers.range });
      const body = req.url === '/corrupt.bin' ? Buffer.from(payload).fill(0, 0, 10) : payload;
      if (req.url!.startsWith('/missing')) {
        res.writeHead(404).end();
        return;
      }
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const start = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, {
        'content-length': String(body.length - start),
        ...(range ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (dropNext) {
        // An interrupted transfer: half the bytes, then the connection drops.
        dropNext = false;
        res.write(body.subarray(start, start + 80_000), () => res.destroy());
        return;
      }
      res.end(body.subarray(start));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('downloads with progress and verifies the checksum; a second call uses the verified file', async () => {
    const progress: number[] = [];
    const dest = join(work, 'dl', 'plain.bin');
    write(join(work, 'dl', 'x'), '');
    const outcome = await downloadFile(`${base}plain.bin`, dest, { md5, onProgress: (received) => progress.push(received) });
    expect(outcome).toMatchObject({ cached: false, resumes: 0 });
    expect(progress[progress.length - 1]).toBe(payload.length);
    expect((await downloadFile(`${base}plain.bin`, dest, { md5 })).cached).toBe(true);
  });

  it('resumes an interrupted transfer with an HTTP Range request', async () => {
    requests.length = 0;
    dropNext = true;
    const dest = join(work, 'dl', 'resumed.bin');
    const outcome = await downloadFile(`${base}resumed.bin`, dest, { md5 });
    expect(outcome.resumes).toBe(1);
    expect(requests.map((r) => r.range)).toEqual([undefined, 'bytes=80000-']);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('resumes a .part file left by an earlier run', async () => {
    requests.length = 0;
    const dest = join(work, 'dl', 'earlier.bin');
    writeFileSync(`${dest}.part`, payload.subarray(0, 123_456));
    expect((await downloadFile(`${base}earlier.bin`, dest, { md5 })).resumes).toBe(1);
    expect(requests[0].range).toBe('bytes=123456-');
  });

  it('refuses a wrong checksum and deletes the download', async () => {
    const dest = join(work, 'dl', 'corrupt.bin');
    await expect(downloadFile(`${base}corrupt.bin`, dest, { md5 })).rejects.toBeInstanceOf(ChecksumError);
    await expect(downloadFile(`${base}corrupt.bin`, dest, { md5 })).rejects.toThrow(/checksum mismatch \(expected md5 [0-9a-f]{32}, got [0-9a-f]{32}\); the download was deleted/);
    expect(readdirSync(join(work, 'dl')).filter((n) => n.startsWith('corrupt'))).toEqual([]);
  });

  it('downloads a whole catalog entry, trying the next mirror when one fails', async () => {
    const entry: CatalogEntry = { ...CATALOG[0], files: [{ name: 'plain.bin', md5, size: payload.length }] };
    const seen: number[] = [];
    const dir = await downloadCatalogEntry(entry, join(work, 'downloads'), {
      mirrors: [`${base}missing/`, base],
      onProgress: (p) => seen.push(p.receivedBytes),
    });
    expect(readdirSync(dir)).toEqual(['plain.bin']);
    expect(requests.some((r) => r.url === '/missing/plain.bin')).toBe(true);
    expect(seen[seen.length - 1]).toBe(payload.length);
    await expect(downloadCatalogEntry({ ...entry, files: [{ name: 'corrupt.bin', md5 }] }, join(work, 'downloads'), { mirrors: [base] })).rejects.toThrow(
      /could not download MNIST \(corrupt.bin\): .*checksum mismatch/,
    );
  });
});
