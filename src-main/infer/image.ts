/**
 * One file to one network input, with the decoding the dataset import uses (data/decode.ts: EXIF
 * rotation, transparency flattened onto the dataset's background, 16-bit scaled, CMYK to sRGB, a
 * pixel limit before decoding) and the normalization the training used (data/preprocess.ts).
 *
 * Converted, with a note, where a user would expect it: another size (resized the way the dataset
 * was), a colour photo for a grayscale network (luminance), a grayscale image for a colour one
 * (repeated to three channels), transparency. Refused, with the reason: not an image, corrupt or
 * truncated, too many pixels, vector formats, an image too small or too elongated to mean anything
 * at the network's size.
 */
import { INFER_LIMITS } from '../contract';
import { decodeImage, SkipError } from '../data/decode';
import { isGrayRgb, normalizeImage, rgbToChannels, type Preprocessing } from '../data/preprocess';

/** Images smaller than this on a side, or more elongated than this ratio, are refused. */
export const MIN_IMAGE_SIDE = 8;
export const MAX_ASPECT_RATIO = 10;

export class ImageRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ImageRefusedError';
  }
}

export interface PreparedImage {
  /** 1 × H × W × C, normalized, ready for the network. */
  input: Float32Array;
  /** The network-sized pixels before normalization (H × W × C, uint8). */
  pixels: Uint8Array;
  notes: string[];
  source: { width: number; height: number; format: string };
}

const RESIZE_WORDS: Record<Preprocessing['resize'], string> = { squash: 'squashed', crop: 'centre-cropped', pad: 'padded' };

export async function prepareImage(bytes: Uint8Array, preprocessing: Preprocessing): Promise<PreparedImage> {
  const [height, width, channels] = preprocessing.input;
  if (bytes.length > INFER_LIMITS.imageBytes) {
    throw new ImageRefusedError(`too large: ${(bytes.length / 1024 / 1024).toFixed(1)} MiB is over the limit of ${INFER_LIMITS.imageBytes / 1024 / 1024} MiB`);
  }
  let decoded;
  try {
    decoded = await decodeImage(bytes, { height, width, resize: preprocessing.resize, background: preprocessing.background, maxPixels: INFER_LIMITS.imagePixels });
  } catch (error) {
    if (error instanceof SkipError) throw new ImageRefusedError(error.reason);
    throw error;
  }
  const { sourceWidth, sourceHeight, format } = decoded;
  if (Math.min(sourceWidth, sourceHeight) < MIN_IMAGE_SIDE) {
    throw new ImageRefusedError(`too small: ${sourceWidth}×${sourceHeight} pixels (at least ${MIN_IMAGE_SIDE} on each side)`);
  }
  if (Math.max(sourceWidth / sourceHeight, sourceHeight / sourceWidth) > MAX_ASPECT_RATIO) {
    throw new ImageRefusedError(`too elongated: ${sourceWidth}×${sourceHeight} pixels would be distorted beyond recognition at ${width}×${height}`);
  }
  const notes: string[] = [];
  if (sourceWidth !== width || sourceHeight !== height) notes.push(`resized ${sourceWidth}×${sourceHeight} → ${width}×${height} (${RESIZE_WORDS[preprocessing.resize]})`);
  const gray = decoded.gray || isGrayRgb(decoded.pixels);
  if (channels === 1 && !gray) notes.push('colour image converted to grayscale: the network was trained on grayscale images');
  if (channels === 3 && gray) notes.push('grayscale image repeated to three channels: the network was trained on colour images');
  if (channels !== 1 && channels !== 3) throw new Error(`networks with ${channels} input channels are not supported`);
  const pixels = rgbToChannels(decoded.pixels, channels);
  const input = normalizeImage(pixels, channels, preprocessing);
  return { input, pixels, notes, source: { width: sourceWidth, height: sourceHeight, format } };
}

/**
 * The image as the network saw it, at display size (the longest side between 256 and `maxSide` pixels), as RGB for the
 * Grad-CAM overlay: squashed datasets map the whole picture onto the network's input, so it keeps
 * its own aspect; cropped and padded ones are shown cropped or padded to the network's aspect.
 */
export async function displayImage(bytes: Uint8Array, preprocessing: Preprocessing, source: { width: number; height: number }, maxSide = 512): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const [inputHeight, inputWidth] = preprocessing.input;
  const shape = preprocessing.resize === 'squash' ? source : { width: inputWidth, height: inputHeight };
  // Small images (28×28) are shown larger, large ones smaller: the longest side lands in [256, maxSide].
  const longest = Math.min(maxSide, Math.max(source.width, source.height, 256));
  const scale = longest / Math.max(shape.width, shape.height);
  const width = Math.max(1, Math.round(shape.width * scale));
  const height = Math.max(1, Math.round(shape.height * scale));
  const decoded = await decodeImage(bytes, { height, width, resize: preprocessing.resize, background: preprocessing.background, maxPixels: INFER_LIMITS.imagePixels });
  return { rgb: decoded.pixels, width, height };
}
