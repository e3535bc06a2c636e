/**
 * IDX files (MNIST, Fashion-MNIST): a big-endian header of magic, type and dimensions, then raw
 * unsigned bytes. Gzipped files are recognised by their magic bytes and inflated first.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UNSIGNED_BYTE = 0x08;

export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const buffer = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  if (buffer.length < 4) throw new Error(`${source}: not an IDX file (only ${buffer.length} bytes)`);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (view.getUint16(0) !== 0) {
    throw new Error(`${source}: not an IDX file (magic starts with 0x${view.getUint16(0).toString(16)}, expected 0x0000)`);
  }
  const type = view.getUint8(2);
  if (type !== UNSIGNED_BYTE) {
    throw new Error(`${source}: IDX element type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  }
  const rank = view.getUint8(3);
  const headerBytes = 4 + 4 * rank;
  if (rank === 0 || buffer.length < headerBytes) throw new Error(`${source}: truncated IDX header (rank ${rank})`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = dims.reduce((a, b) => a * b, 1);
  const available = buffer.length - headerBytes;
  if (available !== expected) {
    throw new Error(`${source}: IDX dimensions ${dims.join('×')} need ${expected} bytes of data, found ${available}`);
  }
  return { dims, data: buffer.subarray(headerBytes) };
}

export async function readIdxFile(path: string): Promise<IdxArray> {
  return parseIdx(await readFile(path), path);
}

/** Encodes an IDX array of unsigned bytes (used to write the bundled subset and test fixtures). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  view.setUint8(2, UNSIGNED_BYTE);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}
