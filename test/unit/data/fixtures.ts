/** Test fixtures built on the fly: images in every format and colour mode, bad files, archives. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, deflateRawSync, deflateSync } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG written by hand: 16-bit samples (sharp cannot be asked for exact 16-bit values). */
export function png16(width: number, height: number, channels: 1 | 2 | 3 | 4, values: number[]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 16;
  header[9] = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * channels * 2);
    for (let i = 0; i < width * channels; i++) row.writeUInt16BE(values[y * width * channels + i], 1 + 2 * i);
    rows.push(row);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', header), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', new Uint8Array(0))]);
}

/**
 * A zlib stream of `count` zero bytes, built without holding them: one megabyte of zeros deflated
 * and flushed to a byte boundary, repeated, then the rest; the Adler-32 of n zeros is (n mod 65521) << 16 | 1.
 */
function zeros(count: number): Buffer {
  const mega = 1 << 20;
  const block = deflateRawSync(Buffer.alloc(mega), { finishFlush: constants.Z_FULL_FLUSH });
  const parts = [Buffer.from([0x78, 0x9c]), ...new Array<Buffer>(Math.floor(count / mega)).fill(block), deflateRawSync(Buffer.alloc(count % mega))];
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((count % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([...parts, adler]);
}

/** An 8-bit RGB PNG whose header claims width × height and whose pixel data inflates to `inflated` bytes (1000 by default): decompression bombs either way. */
export function bombPng(width: number, height: number, options: { inflated?: number; interlaced?: boolean } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 2;
  header[12] = options.interlaced ? 1 : 0;
  const pixels = zeros(options.inflated ?? 1000);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), pngChunk('IHDR', header), pngChunk('IDAT', pixels), pngChunk('IEND', new Uint8Array(0))]);
}

export function solid(width: number, height: number, rgb: [number, number, number]): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });
}

/** A noisy RGB image (so that JPEG has something to encode and truncation bites). */
export function noise(width: number, height: number, seed: number): Sharp {
  const data = Buffer.alloc(width * height * 3);
  let state = seed;
  for (let i = 0; i < data.length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    data[i] = state >> 23;
  }
  return sharp(data, { raw: { width, height, channels: 3 } });
}

export function write(path: string, data: Uint8Array | string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, data);
}
