/**
 * Decodes one image file into uint8 RGB pixels at the cache resolution, or says in words why it
 * cannot. Choices, documented for users:
 * - EXIF orientation is applied before anything else.
 * - Transparent pixels are flattened onto the dataset's background (white by default: what image
 *   viewers and browsers show behind transparency), and padding uses the same colour.
 * - 16-bit images are scaled to 8 bits (65535 → 255), never clamped; CMYK goes through an ICC
 *   transform to sRGB; grayscale files are recorded as such so that a dataset of only grayscale
 *   files becomes one channel.
 * - GIF: the first frame. BMP: decoded here (sharp's libvips has no BMP loader). SVG and other
 *   vector or text formats are refused: a dataset holds pixels, and rendering SVG can reach out.
 */
import { PNG } from 'pngjs';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { BmpError, decodeBmp, isBmp } from './bmp';

export type ResizeMode = 'squash' | 'crop' | 'pad';
export type Background = 'white' | 'black';

export interface DecodeOptions {
  height: number;
  width: number;
  resize: ResizeMode;
  background: Background;
  /** Images with more pixels than this are refused before decoding (decompression bombs). */
  maxPixels: number;
}

export interface DecodedImage {
  /** height × width × 3, uint8 RGB. */
  pixels: Uint8Array;
  /** True when the file itself is grayscale (with or without alpha). */
  gray: boolean;
  format: string;
  sourceWidth: number;
  sourceHeight: number;
}

/** A file that cannot become a training image; `reason` is shown in the import report. */
export class SkipError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export const DEFAULT_MAX_PIXELS = 100_000_000;

export function sniffFormat(bytes: Uint8Array): string | null {
  const b = bytes;
  const ascii = (start: number, end: number) => String.fromCharCode(...b.subarray(start, end));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (b.length >= 6 && ascii(0, 4) === 'GIF8') return 'gif';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 42 && b[3] === 0) || (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 42))) return 'tiff';
  if (isBmp(b)) return 'bmp';
  if (b.length >= 12 && ascii(4, 8) === 'ftyp' && /^(avif|avis|heic|heix|mif1|msf1)$/.test(ascii(8, 12))) return 'heif';
  return null;
}

interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  interlaced: boolean;
  /** Chunks before the pixels (IDAT). */
  chunks: Set<string>;
}

/** A PNG's IHDR (always the first chunk, fixed layout) and the names of the chunks before its pixels; null if it does not parse. */
function parsePngHeader(bytes: Uint8Array): PngHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
  if (bytes.length < 33 || view.getUint32(8) !== 13 || type(12) !== 'IHDR') return null;
  const header = { width: view.getUint32(16), height: view.getUint32(20), depth: bytes[24], colourType: bytes[25], interlaced: bytes[28] !== 0, chunks: new Set<string>() };
  if (header.width === 0 || header.height === 0 || ![0, 2, 3, 4, 6].includes(header.colourType)) return null;
  for (let at = 33; at + 8 <= bytes.length; at += 12 + view.getUint32(at)) {
    const chunk = type(at + 4);
    if (chunk === 'IDAT' || chunk === 'IEND') break;
    header.chunks.add(chunk);
  }
  return header;
}

/**
 * What decoding needs from a PNG's header, in the shape of sharp's metadata: size and whether the
 * file is grayscale (colour types 0 and 4). Null when the file carries an eXIf chunk (an orientation
 * could swap the sides) or the header does not parse: sharp's own reading then decides, with its own
 * error for a broken file.
 */
export function readPngHeader(bytes: Uint8Array, header = parsePngHeader(bytes)): (Pick<Metadata, 'width' | 'height' | 'space' | 'autoOrient'> & { pageHeight?: number }) | null {
  if (!header || header.chunks.has('eXIf')) return null;
  const { width, height, depth, colourType } = header;
  const gray = colourType === 0 || colourType === 4;
  const space = gray ? (depth === 16 ? 'grey16' : 'b-w') : depth === 16 ? 'rgb16' : 'srgb';
  return { width, height, space, autoOrient: { width, height } };
}

/** In-thread decoding blocks the thread it runs on: up to 256×256 pixels (about 0.4 ms). */
const PLAIN_PNG_MAX_PIXELS = 256 * 256;

/** Chunks that change what a PNG's pixels mean (transparency, colour profile, gamma, orientation). */
const CONVERTING_CHUNKS = ['tRNS', 'iCCP', 'gAMA', 'cHRM', 'eXIf'];

/**
 * A PNG that is already what the caller asked for (its size, 8-bit gray or RGB or a palette, opaque, no
 * colour profile, gamma or orientation, not interlaced) has nothing to convert: its pixels are read here, on this
 * thread, by pngjs, identical to what sharp returns for it (tested) but without sharp's round trip
 * to a libuv thread (0.04 ms against 0.4 ms for 32×32: a tenth of a small network's prediction).
 * Everything else, and any file pngjs cannot read, goes through sharp. Null when not taken.
 */
export function decodePlainPng(bytes: Uint8Array, options: DecodeOptions, header = parsePngHeader(bytes)): DecodedImage | null {
  if (!header || header.width !== options.width || header.height !== options.height) return null;
  if (header.width * header.height > Math.min(PLAIN_PNG_MAX_PIXELS, options.maxPixels)) return null;
  // Gray and RGB at 8 bits; palettes at any depth (their entries are 8-bit RGB).
  const kind = header.colourType === 3 ? 'palette' : header.depth === 8 && (header.colourType === 0 || header.colourType === 2) ? 'direct' : null;
  if (!kind || CONVERTING_CHUNKS.some((chunk) => header.chunks.has(chunk))) return null;
  // pngjs caps what it inflates at the image's size only for non-interlaced files; an interlaced
  // one could inflate a few megabytes into gigabytes here, so it goes to sharp, which stops reading.
  if (header.interlaced) return null;
  let rgba: Uint8Array;
  try {
    rgba = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).data;
  } catch {
    return null;
  }
  const pixels = new Uint8Array(header.width * header.height * 3);
  for (let p = 0, q = 0; p < pixels.length; p += 3, q += 4) {
    pixels[p] = rgba[q];
    pixels[p + 1] = rgba[q + 1];
    pixels[p + 2] = rgba[q + 2];
  }
  return { pixels, gray: header.colourType === 0, format: 'png', sourceWidth: header.width, sourceHeight: header.height };
}

const colour = (background: Background) => (background === 'white' ? { r: 255, g: 255, b: 255, alpha: 1 } : { r: 0, g: 0, b: 0, alpha: 1 });

function describeSharpError(error: unknown, format: string): SkipError {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (/pixel limit/i.test(message)) return new SkipError(`too large: ${message}`);
  if (/unsupported image format/i.test(message)) return new SkipError(`not an image (unreadable ${format} content)`);
  return new SkipError(`corrupt or truncated ${format}: ${message}`);
}

export async function decodeImage(bytes: Uint8Array, options: DecodeOptions): Promise<DecodedImage> {
  if (bytes.length === 0) throw new SkipError('empty file (0 bytes)');
  const format = sniffFormat(bytes);
  if (!format) throw new SkipError('not an image (content is not JPEG, PNG, WebP, GIF, TIFF, BMP or HEIF/AVIF)');
  const png = format === 'png' ? parsePngHeader(bytes) : null;
  const plain = png ? decodePlainPng(bytes, options, png) : null;
  if (plain) return plain;
  let image: Sharp;
  let gray = false;
  let sourceWidth: number;
  let sourceHeight: number;
  try {
    if (format === 'bmp') {
      const raw = decodeBmp(bytes, options.maxPixels);
      image = sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: raw.channels } });
      sourceWidth = raw.width;
      sourceHeight = raw.height;
    } else {
      // The header alone says how big the image is; it is checked below, before anything is
      // decoded. A PNG's header is read here (a fixed layout); other formats ask sharp, and then one
      // sharp instance reads the header and decodes (no second parse).
      image = sharp(bytes, { limitInputPixels: false, failOn: 'error', pages: 1 });
      const meta = (png && readPngHeader(bytes, png)) ?? (await image.metadata());
      sourceWidth = meta.autoOrient?.width ?? meta.width ?? 0;
      sourceHeight = meta.autoOrient?.height ?? meta.height ?? 0;
      if ((meta.width ?? 0) * (meta.pageHeight ?? meta.height ?? 0) > options.maxPixels) {
        throw new SkipError(`too large: ${meta.width}×${meta.height} pixels is over the limit of ${options.maxPixels.toLocaleString('en')}`);
      }
      gray = meta.space === 'b-w' || meta.space === 'grey16';
    }
  } catch (error) {
    if (error instanceof SkipError) throw error;
    if (error instanceof BmpError) {
      throw new SkipError(/pixel limit/.test(error.message) ? `too large: ${error.message}` : `corrupt or unsupported BMP: ${error.message}`);
    }
    throw describeSharpError(error, format);
  }
  const background = colour(options.background);
  const fit = options.resize === 'squash' ? 'fill' : options.resize === 'crop' ? 'cover' : 'contain';
  try {
    const { data, info } = await image
      .rotate()
      .flatten({ background })
      .resize(options.width, options.height, { fit, position: 'centre', background })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { pixels: toRgb8(data, info.width * info.height, info.channels), gray, format, sourceWidth, sourceHeight };
  } catch (error) {
    throw describeSharpError(error, format);
  }
}

/** Whatever sharp hands back (1–4 channels, 8 or 16 bits) as uint8 RGB; 16 bits are scaled. */
function toRgb8(data: Buffer, pixels: number, channels: number): Uint8Array {
  const sixteen = data.length === pixels * channels * 2;
  const value = sixteen
    ? (() => {
        const words = new Uint16Array(data.buffer, data.byteOffset, pixels * channels);
        return (i: number) => Math.round(words[i] / 257);
      })()
    : (i: number) => data[i];
  if (channels === 3 && !sixteen) return new Uint8Array(data.buffer, data.byteOffset, data.length).slice();
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) out[p * 3 + c] = value(p * channels + (channels < 3 ? 0 : c));
  }
  return out;
}
