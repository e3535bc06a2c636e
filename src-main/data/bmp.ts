/**
 * A minimal BMP decoder: sharp's prebuilt libvips has no BMP loader. Reads the common Windows
 * bitmaps (1/4/8-bit palette, 16/24/32-bit, BI_RGB and BI_BITFIELDS, bottom-up or top-down);
 * RLE-compressed bitmaps are refused with a reason.
 */
export interface RawImage {
  width: number;
  height: number;
  channels: 3 | 4;
  data: Uint8Array;
}

export class BmpError extends Error {}

export function isBmp(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d;
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(bytes: Uint8Array, maxPixels = Number.POSITIVE_INFINITY): RawImage {
  if (bytes.length < 26 || !isBmp(bytes)) throw new BmpError('truncated BMP header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = 0;
  let colorsUsed = 0;
  if (headerSize === 12) {
    width = view.getUint16(18, true);
    rawHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
  } else if (headerSize >= 40 && bytes.length >= 54) {
    width = view.getInt32(18, true);
    rawHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
  } else {
    throw new BmpError(`unsupported BMP header (${headerSize} bytes)`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width <= 0 || height <= 0) throw new BmpError(`invalid BMP size ${width}×${height}`);
  if (width * height > maxPixels) throw new BmpError(`Input image exceeds pixel limit (${width}×${height})`);
  if (compression === 1 || compression === 2) throw new BmpError('RLE-compressed BMP is not supported; save it as PNG');
  if (compression !== 0 && compression !== 3 && compression !== 6) throw new BmpError(`BMP compression ${compression} is not supported`);

  let masks: [number, number, number, number] | null = null;
  if (compression === 3 || compression === 6) {
    if (bytes.length < 66) throw new BmpError('truncated BMP header');
    const alpha = compression === 6 || headerSize >= 56 ? (bytes.length >= 70 ? view.getUint32(66, true) : 0) : 0;
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true), alpha];
  } else if (bitsPerPixel === 16) {
    masks = [0x7c00, 0x03e0, 0x001f, 0];
  }

  let palette: Uint8Array | null = null;
  if (bitsPerPixel <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const count = colorsUsed || 1 << bitsPerPixel;
    const start = 14 + headerSize + (compression === 3 && headerSize === 40 ? 12 : 0);
    if (start + count * entrySize > bytes.length) throw new BmpError('truncated BMP palette');
    palette = new Uint8Array(256 * 3);
    for (let i = 0; i < count && i < 256; i++) {
      palette[i * 3] = bytes[start + i * entrySize + 2];
      palette[i * 3 + 1] = bytes[start + i * entrySize + 1];
      palette[i * 3 + 2] = bytes[start + i * entrySize];
    }
  } else if (![16, 24, 32].includes(bitsPerPixel)) {
    throw new BmpError(`${bitsPerPixel}-bit BMP is not supported`);
  }

  const stride = Math.floor((bitsPerPixel * width + 31) / 32) * 4;
  if (dataOffset + stride * height > bytes.length) throw new BmpError('truncated BMP pixel data');
  const hasAlpha = masks !== null && masks[3] !== 0;
  const channels = hasAlpha ? 4 : 3;
  const out = new Uint8Array(width * height * channels);
  const fields = masks?.map(maskShift);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      if (palette) {
        const bit = x * bitsPerPixel;
        const byte = bytes[row + (bit >> 3)];
        const index = (byte >> (8 - bitsPerPixel - (bit & 7))) & ((1 << bitsPerPixel) - 1);
        out[o] = palette[index * 3];
        out[o + 1] = palette[index * 3 + 1];
        out[o + 2] = palette[index * 3 + 2];
      } else if (bitsPerPixel === 24 || (bitsPerPixel === 32 && !fields)) {
        const p = row + x * (bitsPerPixel / 8);
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else {
        const p = row + x * (bitsPerPixel / 8);
        const value = bitsPerPixel === 16 ? view.getUint16(p, true) : view.getUint32(p, true);
        for (let c = 0; c < channels; c++) {
          const { shift, max } = fields![c];
          out[o + c] = max ? Math.round((((value & masks![c]) >>> 0) >>> shift) * 255 / max) : 255;
        }
      }
    }
  }
  return { width, height, channels, data: out };
}

/** Encodes a 24-bit bottom-up BMP (test fixtures and exports). */
export function encodeBmp24(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const stride = Math.floor((24 * width + 31) / 32) * 4;
  const bytes = new Uint8Array(54 + stride * height);
  const view = new DataView(bytes.buffer);
  bytes[0] = 0x42;
  bytes[1] = 0x4d;
  view.setUint32(2, bytes.length, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  view.setUint32(34, stride * height, true);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      bytes[row + x * 3] = rgb[s + 2];
      bytes[row + x * 3 + 1] = rgb[s + 1];
      bytes[row + x * 3 + 2] = rgb[s];
    }
  }
  return bytes;
}
