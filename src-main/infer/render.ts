/** Pictures of what a network sees: the Grad-CAM overlay and the feature-map grid, as PNG bytes. */
import sharp from 'sharp';
import { turbo } from '../contract';
import { resizeBilinear, type CamMap } from './gradcam';

/**
 * The image (RGB, `height` × `width`) with the heatmap upsampled over it at `opacity`, composited
 * by sharp.
 */
export async function camOverlayPng(rgb: Uint8Array, height: number, width: number, cam: CamMap, opacity: number): Promise<Buffer> {
  const values = resizeBilinear(cam.values, cam.height, cam.width, height, width);
  const layer = Buffer.alloc(height * width * 4);
  const alpha = Math.round(Math.min(Math.max(opacity, 0), 1) * 255);
  for (let p = 0; p < values.length; p++) {
    const [r, g, b] = turbo(values[p]);
    layer[p * 4] = r;
    layer[p * 4 + 1] = g;
    layer[p * 4 + 2] = b;
    layer[p * 4 + 3] = alpha;
  }
  return sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
    .composite([{ input: layer, raw: { width, height, channels: 4 }, blend: 'over' }])
    .png()
    .toBuffer();
}

export interface GridLayout {
  columns: number;
  rows: number;
  /** Side of one tile in pixels (the map scaled up by a whole factor). */
  tileHeight: number;
  tileWidth: number;
}

/** About square, tiles scaled up by a whole factor to at least 48 px, the whole grid at most ~1600 px wide. */
export function gridLayout(channels: number, mapHeight: number, mapWidth: number): GridLayout {
  const columns = Math.ceil(Math.sqrt(channels));
  const rows = Math.ceil(channels / columns);
  const scale = Math.max(1, Math.min(Math.ceil(48 / Math.max(mapHeight, mapWidth)), Math.floor(1600 / columns / Math.max(mapWidth, 1))));
  return { columns, rows, tileHeight: mapHeight * scale, tileWidth: mapWidth * scale };
}

/**
 * One grayscale tile per channel of an activation (height × width × channels, channels last),
 * each stretched to its own minimum and maximum, 1 px gaps between tiles.
 */
export async function featureGridPng(activation: Float32Array, height: number, width: number, channels: number, shown: number): Promise<{ png: Buffer; layout: GridLayout }> {
  const layout = gridLayout(shown, height, width);
  const gap = 1;
  const outWidth = layout.columns * (layout.tileWidth + gap) - gap;
  const outHeight = layout.rows * (layout.tileHeight + gap) - gap;
  const out = Buffer.alloc(outWidth * outHeight, 40);
  const scaleY = layout.tileHeight / height;
  const scaleX = layout.tileWidth / width;
  for (let c = 0; c < shown; c++) {
    let min = Infinity;
    let max = -Infinity;
    for (let p = 0; p < height * width; p++) {
      const v = activation[p * channels + c];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const range = max - min > 1e-12 ? max - min : 1;
    const left = (c % layout.columns) * (layout.tileWidth + gap);
    const top = Math.floor(c / layout.columns) * (layout.tileHeight + gap);
    for (let y = 0; y < layout.tileHeight; y++) {
      const sy = Math.floor(y / scaleY);
      for (let x = 0; x < layout.tileWidth; x++) {
        const sx = Math.floor(x / scaleX);
        out[(top + y) * outWidth + left + x] = Math.round(((activation[(sy * width + sx) * channels + c] - min) / range) * 255);
      }
    }
  }
  const png = await sharp(out, { raw: { width: outWidth, height: outHeight, channels: 1 } }).png().toBuffer();
  return { png, layout };
}
