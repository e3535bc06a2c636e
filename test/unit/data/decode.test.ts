import sharp from 'sharp';
import { deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { decodeBmp, encodeBmp24 } from '../../../src-main/data/bmp';
import { decodeImage, decodePlainPng, inflateAtMost, readPngHeader, SkipError, type DecodeOptions } from '../../../src-main/data/decode';
import { bombPng, noise, png16, solid } from './fixtures';

/** Every inflate the decoder asks zlib for: its output limit and the bytes zlib handed back (the decompression bound, counted where it is enforced). */
const inflated = vi.hoisted(() => [] as { limit: number | undefined; bytes: number; error: string | null }[]);
vi.mock('node:zlib', async (importOriginal) => {
  const zlib = await importOriginal<typeof import('node:zlib')>();
  const inflateSync = (data: Uint8Array, options?: { maxOutputLength?: number }) => {
    try {
      const out = zlib.inflateSync(data, options);
      inflated.push({ limit: options?.maxOutputLength, bytes: out.length, error: null });
      return out;
    } catch (error) {
      inflated.push({ limit: options?.maxOutputLength, bytes: 0, error: (error as { code?: string }).code ?? String(error) });
      throw error;
    }
  };
  return { ...zlib, default: { ...zlib, inflateSync }, inflateSync };
});

const at = (height: number, width: number, extra: Partial<DecodeOptions> = {}): DecodeOptions => ({ height, width, resize: 'squash', background: 'white', maxPixels: 1_000_000, ...extra });
const pixel = (pixels: Uint8Array, i: number) => Array.from(pixels.subarray(i * 3, i * 3 + 3));

async function reason(bytes: Uint8Array, options = at(8, 8)): Promise<string> {
  try {
    await decodeImage(bytes, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SkipError);
    return (error as SkipError).reason;
  }
  throw new Error('decoded, expected a skip');
}

describe('decoding every colour mode', () => {
  it('scales 16-bit grayscale and RGB to 8 bits instead of clamping', async () => {
    const gray = await decodeImage(png16(4, 1, 1, [0, 1000, 30000, 65535]), at(1, 4));
    expect(gray.gray).toBe(true);
    const values = [0, 1, 2, 3].map((i) => pixel(gray.pixels, i)[0]);
    [0, 1000 / 257, 30000 / 257, 255].forEach((expected, i) => expect(Math.abs(values[i] - expected)).toBeLessThanOrEqual(1));
    const rgb = await decodeImage(png16(1, 1, 3, [65535, 30000, 1000]), at(1, 1));
    expect(rgb.gray).toBe(false);
    const [r, g, b] = pixel(rgb.pixels, 0);
    expect(r).toBe(255);
    expect(Math.abs(g - 117)).toBeLessThanOrEqual(1);
    expect(b).toBeLessThanOrEqual(4);
  });

  it('flattens alpha onto the chosen background (white by default, black on request)', async () => {
    const rgba = await sharp(Buffer.from([255, 0, 0, 0, 0, 0, 255, 255]), { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const white = await decodeImage(rgba, at(1, 2));
    expect(pixel(white.pixels, 0)).toEqual([255, 255, 255]);
    expect(pixel(white.pixels, 1)).toEqual([0, 0, 255]);
    const black = await decodeImage(rgba, at(1, 2, { background: 'black' }));
    expect(pixel(black.pixels, 0)).toEqual([0, 0, 0]);
    const alpha16 = await decodeImage(png16(1, 1, 4, [65535, 0, 0, 0]), at(1, 1));
    expect(pixel(alpha16.pixels, 0)).toEqual([255, 255, 255]);
  });

  it('reads grayscale (8-bit, with alpha) as gray and colour as colour', async () => {
    const grayJpeg = await solid(8, 8, [100, 100, 100]).toColourspace('b-w').jpeg().toBuffer();
    const decoded = await decodeImage(grayJpeg, at(8, 8));
    expect(decoded.gray).toBe(true);
    expect(Math.abs(pixel(decoded.pixels, 0)[0] - 100)).toBeLessThanOrEqual(2);
    const grayAlpha = png16(1, 1, 2, [30000, 0]);
    expect(pixel((await decodeImage(grayAlpha, at(1, 1))).pixels, 0)).toEqual([255, 255, 255]);
    const colour = await decodeImage(await solid(8, 8, [200, 10, 10]).png().toBuffer(), at(8, 8));
    expect(colour.gray).toBe(false);
    const palette = await decodeImage(await solid(8, 8, [0, 128, 255]).png({ palette: true }).toBuffer(), at(8, 8));
    expect(pixel(palette.pixels, 0)).toEqual([0, 128, 255]);
  });

  it('converts CMYK to sRGB', async () => {
    const cmyk = await solid(8, 8, [255, 0, 0]).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const [r, g, b] = pixel((await decodeImage(cmyk, at(8, 8))).pixels, 0);
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('applies EXIF orientation', async () => {
    // 4 wide × 2 tall: left half red, right half blue; orientation 6 shows it rotated 90° clockwise.
    const raw = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer();
    const decoded = await decodeImage(jpeg, at(4, 2));
    expect(decoded.sourceWidth).toBe(2);
    expect(decoded.sourceHeight).toBe(4);
    expect(pixel(decoded.pixels, 0)).toEqual([255, 0, 0]);
    expect(pixel(decoded.pixels, 7)).toEqual([0, 0, 255]);
  });

  it('reads JPEG, PNG, WebP, GIF (first frame), TIFF and BMP', async () => {
    const base = solid(6, 4, [20, 200, 60]);
    const files = {
      jpeg: await base.clone().jpeg({ quality: 95 }).toBuffer(),
      png: await base.clone().png().toBuffer(),
      webp: await base.clone().webp({ lossless: true }).toBuffer(),
      gif: await sharp([await solid(6, 4, [20, 200, 60]).png().toBuffer(), await solid(6, 4, [255, 0, 0]).png().toBuffer()], { join: { animated: true } }).gif().toBuffer(),
      tiff: await base.clone().tiff().toBuffer(),
      bmp: encodeBmp24(6, 4, new Uint8Array(6 * 4 * 3).map((_, i) => [20, 200, 60][i % 3])),
    };
    expect((await sharp(files.gif).metadata()).pages).toBe(2);
    for (const [format, bytes] of Object.entries(files)) {
      const decoded = await decodeImage(bytes, at(4, 6));
      expect(decoded.format).toBe(format);
      const [r, g, b] = pixel(decoded.pixels, 5);
      expect(Math.abs(r - 20) + Math.abs(g - 200) + Math.abs(b - 60), format).toBeLessThanOrEqual(12);
    }
  });

  it('resizes by squash, center-crop or pad', async () => {
    // 8×4: left half black, right half white.
    const raw = Buffer.alloc(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) raw.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const image = await sharp(raw, { raw: { width: 8, height: 4, channels: 3 } }).png().toBuffer();
    const squash = await decodeImage(image, at(4, 4, { resize: 'squash' }));
    expect(pixel(squash.pixels, 0)[0]).toBeLessThan(30);
    expect(pixel(squash.pixels, 3)[0]).toBeGreaterThan(225);
    const pad = await decodeImage(image, at(8, 8, { resize: 'pad', background: 'black' }));
    expect(pixel(pad.pixels, 8 * 7 + 7)).toEqual([0, 0, 0]);
    expect(pixel(pad.pixels, 8 * 3 + 7)[0]).toBeGreaterThan(225);
    const crop = await decodeImage(image, at(4, 4, { resize: 'crop' }));
    expect(pixel(crop.pixels, 0)[0]).toBeLessThan(30);
    expect(pixel(crop.pixels, 3)[0]).toBeGreaterThan(225);
  });

  it('decodes BMP variants: 8-bit palette, 32-bit bitfields, top-down; refuses RLE', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
    const bmp = encodeBmp24(2, 2, rgb);
    const decoded = decodeBmp(bmp);
    expect(Array.from(decoded.data)).toEqual(Array.from(rgb));
    // Top-down: negative height flips the row order back.
    const topDown = Uint8Array.from(bmp);
    const view = new DataView(topDown.buffer);
    view.setInt32(22, -2, true);
    expect(Array.from(decodeBmp(topDown).data.subarray(0, 3))).toEqual([0, 0, 255]);
    // 8-bit palette, 2×1: indices 1, 0.
    const palette = new Uint8Array(54 + 8 + 4);
    const pv = new DataView(palette.buffer);
    palette.set([0x42, 0x4d]);
    pv.setUint32(10, 62, true);
    pv.setUint32(14, 40, true);
    pv.setInt32(18, 2, true);
    pv.setInt32(22, 1, true);
    pv.setUint16(28, 8, true);
    pv.setUint32(46, 2, true);
    palette.set([0, 0, 255, 0, 255, 0, 0, 0], 54); // BGRA: red, blue
    palette.set([1, 0, 0, 0], 62);
    expect(Array.from(decodeBmp(palette).data)).toEqual([0, 0, 255, 255, 0, 0]);
    // 32-bit BI_BITFIELDS with an alpha mask.
    const b32 = new Uint8Array(70 + 4);
    const v32 = new DataView(b32.buffer);
    b32.set([0x42, 0x4d]);
    v32.setUint32(10, 70, true);
    v32.setUint32(14, 56, true);
    v32.setInt32(18, 1, true);
    v32.setInt32(22, 1, true);
    v32.setUint16(28, 32, true);
    v32.setUint32(30, 3, true);
    v32.setUint32(54, 0x00ff0000, true);
    v32.setUint32(58, 0x0000ff00, true);
    v32.setUint32(62, 0x000000ff, true);
    v32.setUint32(66, 0xff000000, true);
    v32.setUint32(70, 0x80102030, true);
    const d32 = decodeBmp(b32);
    expect(d32.channels).toBe(4);
    expect(Array.from(d32.data)).toEqual([0x10, 0x20, 0x30, 0x80]);
    const rle = Uint8Array.from(bmp);
    new DataView(rle.buffer).setUint32(30, 1, true);
    expect(() => decodeBmp(rle)).toThrow(/RLE/);
  });
});

describe('the PNG header read without sharp', () => {
  it('agrees with sharp on size and grayscale for every colour type, depth and interlacing', async () => {
    const raw = (channels: 1 | 2 | 3 | 4) => sharp(Buffer.alloc(7 * 5 * channels, 90), { raw: { width: 7, height: 5, channels } });
    const variants: [string, Buffer][] = [
      ['gray', await raw(1).toColourspace('b-w').png().toBuffer()],
      ['gray + alpha', await raw(2).toColourspace('b-w').png().toBuffer()],
      ['rgb', await raw(3).png().toBuffer()],
      ['rgba', await raw(4).png().toBuffer()],
      ['palette', await raw(3).png({ palette: true }).toBuffer()],
      ['interlaced', await raw(3).png({ progressive: true }).toBuffer()],
      ['16-bit gray', png16(7, 5, 1, new Array(35).fill(1000))],
      ['16-bit rgb', png16(7, 5, 3, new Array(105).fill(1000))],
    ];
    expect(variants.map(([, bytes]) => bytes[25])).toEqual([0, 4, 2, 6, 3, 2, 0, 2]); // the IHDR colour types covered
    for (const [name, bytes] of variants) {
      const meta = await sharp(bytes).metadata();
      expect({ name, ...readPngHeader(bytes) }).toEqual({ name, width: meta.width, height: meta.height, space: meta.space, autoOrient: { width: 7, height: 5 } });
    }
  });

  it('leaves files with an orientation or a broken header to sharp', async () => {
    const oriented = await sharp(Buffer.alloc(4 * 2 * 3), { raw: { width: 4, height: 2, channels: 3 } }).png().withMetadata({ orientation: 6 }).toBuffer();
    expect(readPngHeader(oriented)).toBeNull();
    const png = await solid(4, 4, [1, 2, 3]).png().toBuffer();
    expect(readPngHeader(png.subarray(0, 30))).toBeNull();
    const zeroWidth = Buffer.from(png);
    zeroWidth.writeUInt32BE(0, 16);
    expect(readPngHeader(zeroWidth)).toBeNull();
    expect(await reason(zeroWidth)).toMatch(/^corrupt or truncated png/);
  });
});

describe('PNGs with nothing to convert, read in-thread', () => {
  const raw = (channels: 1 | 3 | 4, width = 7, height = 5) => {
    const data = Buffer.alloc(width * height * channels);
    for (let i = 0; i < data.length; i++) data[i] = (i * 37) % 256;
    return sharp(data, { raw: { width, height, channels } });
  };
  /** What the sharp route gives for the same file, with nothing to resize (always three channels). */
  const viaSharp = async (bytes: Buffer) => new Uint8Array((await sharp(bytes).toColourspace('srgb').raw().toBuffer()).buffer);

  it('gives exactly the pixels sharp gives for gray, RGB and palette files', async () => {
    const files: [string, Buffer, boolean][] = [
      ['gray', await raw(1).toColourspace('b-w').png().toBuffer(), true],
      ['rgb', await raw(3).png().toBuffer(), false],
      ['palette, 4-bit', await raw(3).png({ palette: true, colours: 16 }).toBuffer(), false],
      ['palette, 8-bit', await raw(3).png({ palette: true, colours: 256, dither: 0 }).toBuffer(), false],
    ];
    expect(files.map(([, bytes]) => [bytes[24], bytes[25]])).toEqual([[8, 0], [8, 2], [4, 3], [8, 3]]); // depth, colour type
    for (const [name, bytes, gray] of files) {
      const decoded = decodePlainPng(bytes, at(5, 7));
      expect(decoded, name).not.toBeNull();
      const expected = await viaSharp(bytes);
      expect(expected.length, name).toBe(7 * 5 * 3);
      expect(Array.from(decoded!.pixels), name).toEqual(Array.from(expected));
      expect(decoded!.gray, name).toBe(gray);
      expect(await decodeImage(bytes, at(5, 7)), name).toEqual(decoded);
    }
  });

  it('undoes every PNG row filter (none, sub, up, average, Paeth) as sharp does', async () => {
    // Noise and gradients (sub, average, Paeth), and noise repeated row after row (up).
    const textured = (channels: 1 | 3, striped = false) => {
      const data = Buffer.alloc(64 * 64 * channels);
      for (let i = 0, state = 7; i < data.length; i++) {
        state = (state * 1103515245 + 12345) & 0x7fffffff;
        data[i] = striped && i >= 64 * channels ? data[i - 64 * channels] : i % 5 === 0 ? state >> 23 : (i * 3 + (i >> 6) * 5) % 256;
      }
      return sharp(data, { raw: { width: 64, height: 64, channels } });
    };
    const files = [
      await textured(1).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer(),
      await textured(1, true).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer(),
      await textured(3).png({ adaptiveFiltering: true }).toBuffer(),
      await textured(3).png({ adaptiveFiltering: true, palette: true, colours: 4 }).toBuffer(),
    ];
    const filters = new Set<number>();
    for (const bytes of files) {
      const at8 = bytes.indexOf('IDAT') - 4;
      const rows = inflateSync(bytes.subarray(at8 + 8, at8 + 8 + bytes.readUInt32BE(at8)));
      for (let y = 0; y < 64; y++) filters.add(rows[(y * rows.length) / 64]);
      const decoded = decodePlainPng(bytes, at(64, 64));
      expect(decoded).not.toBeNull();
      expect(Array.from(decoded!.pixels)).toEqual(Array.from(await viaSharp(bytes)));
    }
    expect([...filters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('leaves to sharp what needs converting, or is interlaced, or is broken', async () => {
    const rgb = await raw(3).png().toBuffer();
    const refused: [string, Buffer][] = [
      ['another size', rgb],
      ['rgba', await raw(4).png().toBuffer()],
      ['palette with transparency', await raw(4).png({ palette: true }).toBuffer()],
      ['16-bit', png16(7, 5, 3, new Array(105).fill(1000))],
      ['colour profile', await raw(3).png().withIccProfile('p3').toBuffer()],
      ['orientation', await raw(3).png().withMetadata({ orientation: 3 }).toBuffer()],
      ['interlaced', await raw(3).png({ progressive: true }).toBuffer()],
      ['truncated', rgb.subarray(0, rgb.length - 20)],
    ];
    for (const [name, bytes] of refused) expect(decodePlainPng(bytes, name === 'another size' ? at(8, 8) : at(5, 7)), name).toBeNull();
    // Larger than 256×256: sharp's thread, not this one (the limit is on the pixels the thread would spend time on).
    expect(decodePlainPng(await raw(3, 257, 256).png().toBuffer(), at(256, 257))).toBeNull();
    expect(decodePlainPng(await raw(3, 256, 256).png().toBuffer(), at(256, 256))).not.toBeNull();
    expect(await reason(rgb.subarray(0, rgb.length - 20), at(5, 7))).toMatch(/^corrupt or truncated png/);
  });

  it('inflates at most what the image holds: 16×16 claimed, 200 MB of zeros compressed inside', () => {
    inflated.length = 0;
    const bomb = bombPng(16, 16, { inflated: 200_000_000 });
    expect(bomb.length).toBeLessThan(400_000);
    expect(decodePlainPng(bomb, at(16, 16))).toBeNull();
    // One inflate, limited to 16 rows of 16 RGB pixels and a filter byte, and zlib stopped there.
    expect(inflated).toEqual([{ limit: 16 * (16 * 3 + 1), bytes: 0, error: 'ERR_BUFFER_TOO_LARGE' }]);
    inflated.length = 0;
    expect(decodePlainPng(bombPng(16, 16, { inflated: 200_000_000, interlaced: true }), at(16, 16))).toBeNull();
    expect(inflated).toEqual([]); // interlaced files are sharp's, never inflated here
  });

  it('inflates a well-formed image exactly once, to exactly its size', async () => {
    inflated.length = 0;
    expect(decodePlainPng(await raw(3, 16, 16).png().toBuffer(), at(16, 16))).not.toBeNull();
    expect(inflated).toEqual([{ limit: 16 * (16 * 3 + 1), bytes: 16 * (16 * 3 + 1), error: null }]);
  });

  it('the inflater refuses a stream one byte longer than its limit and takes one that fits', () => {
    const stream = deflateSync(Buffer.alloc(785, 7));
    expect(inflateAtMost(stream, 784)).toBeNull();
    expect(inflateAtMost(stream, 785)?.length).toBe(785);
    expect(inflateAtMost(Buffer.from('not zlib'), 785)).toBeNull();
  });
});

describe('bad files are refused with a reason', () => {
  it('empty, not an image, truncated, corrupt, too large, SVG', async () => {
    expect(await reason(new Uint8Array(0))).toMatch(/^empty file/);
    expect(await reason(Buffer.from('just some notes\n'))).toMatch(/^not an image/);
    const jpeg = await noise(64, 64, 1).jpeg().toBuffer();
    expect(await reason(jpeg.subarray(0, jpeg.length >> 1))).toMatch(/^corrupt or truncated jpeg/);
    const png = await noise(64, 64, 2).png().toBuffer();
    expect(await reason(png.subarray(0, png.length - 200))).toMatch(/^corrupt or truncated png/);
    const garbage = Buffer.concat([png.subarray(0, 40), Buffer.alloc(500, 7)]);
    expect(await reason(garbage)).toMatch(/^corrupt or truncated png/);
    expect(await reason(bombPng(30_000, 30_000), at(8, 8, { maxPixels: 100_000_000 }))).toMatch(/^too large: 30000×30000/);
    expect(await reason(await noise(64, 64, 3).png().toBuffer(), at(8, 8, { maxPixels: 1000 }))).toMatch(/^too large/);
    expect(await reason(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'))).toMatch(/^not an image/);
    expect(await reason(encodeBmp24(2, 2, new Uint8Array(12)).subarray(0, 58))).toMatch(/BMP/);
  });
});
