/**
 * `cvb predict RUN_ID IMAGE... [--top K] [--cam DIR] [--checkpoint best|last] [--json]`: the
 * classes a trained run sees in each image, through the same inference worker the app uses. One
 * `{path, top: [{class, probability}]}` line per image with --json (or `{path, error}` for an image
 * that was refused; the others still answer), and a Grad-CAM PNG per image into DIR with --cam.
 * Exits 0 when every image answered, 1 when some were refused, 2 on bad arguments.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { INFER_LIMITS, type InferPredictResponse } from '../contract';
import { defineCommand, type Options } from './args';
import { invalid, percent, printJson, UsageError } from './output';

const PREDICT_OPTIONS = {
  top: { type: 'string' },
  cam: { type: 'string' },
  checkpoint: { type: 'string' },
} satisfies Options;

export const predictCommand = defineCommand(PREDICT_OPTIONS, true, async (context, { values, positionals }) => {
  const [runId, ...images] = positionals;
  if (!runId) throw invalid('runId', 'predict: give a run id (see `cvb runs list`) and one or more images');
  if (images.length === 0) throw invalid('images', 'predict: give one or more image files after the run id');
  const topK = values.top === undefined ? 5 : Number(values.top);
  if (!Number.isInteger(topK) || topK < 1 || topK > INFER_LIMITS.topK) {
    throw invalid('top', `--top: must be a whole number from 1 to ${INFER_LIMITS.topK} (received ${JSON.stringify(values.top)})`);
  }
  const checkpoint = values.checkpoint ?? 'best';
  if (checkpoint !== 'best' && checkpoint !== 'last') throw invalid('checkpoint', `--checkpoint: must be best or last (received ${JSON.stringify(checkpoint)})`);
  const camDir = values.cam === undefined ? null : resolve(values.cam);
  if (camDir) mkdirSync(camDir, { recursive: true });

  const workbench = await context.open('cli');
  let refused = 0;
  const camNames = new Set<string>();
  try {
    // In batches the contract allows; each batch answers per image.
    for (let start = 0; start < images.length; start += INFER_LIMITS.imagesPerRequest) {
      const batch = images.slice(start, start + INFER_LIMITS.imagesPerRequest);
      const result = await workbench.request('infer.predict', {
        runId,
        checkpoint,
        topK,
        images: batch.map((path) => ({ name: path, path: resolve(path) })),
        ...(camDir ? { cam: { output: 'overlay', opacity: 0.5 } } : {}),
      });
      if (!result.ok) {
        const field = result.error.field === 'runId' || result.error.field === 'checkpoint' ? result.error.field : result.error.field?.startsWith('images') ? 'images' : result.error.field;
        throw new UsageError({ ...result.error, ...(field ? { field } : {}) });
      }
      const response = result.value as InferPredictResponse;
      for (const prediction of response.predictions) {
        if (prediction.error || !prediction.top) {
          refused++;
          if (context.json) printJson({ path: prediction.name, error: prediction.error ?? 'no answer' });
          else process.stdout.write(`${prediction.name}: refused: ${prediction.error}\n`);
          continue;
        }
        let camFile: string | undefined;
        if (camDir && prediction.cam?.png) {
          camFile = join(camDir, uniqueName(prediction.name, camNames));
          writeFileSync(camFile, Buffer.from(prediction.cam.png, 'base64'));
        }
        const top = prediction.top.map((entry) => ({ class: entry.class, probability: entry.probability }));
        if (context.json) {
          printJson({ path: prediction.name, top, ms: prediction.ms, ...(prediction.notes.length ? { notes: prediction.notes } : {}), ...(camFile ? { cam: camFile } : {}) });
        } else {
          const best = top.map((entry) => `${entry.class} ${percent(entry.probability)}`).join(', ');
          process.stdout.write(`${prediction.name}: ${best}${camFile ? `  (Grad-CAM: ${camFile})` : ''}\n`);
          for (const note of prediction.notes) process.stdout.write(`  note: ${note}\n`);
        }
      }
    }
  } finally {
    await workbench.close();
  }
  return refused > 0 ? 1 : 0;
});

/** `photo.jpg` → `photo.cam.png`, with a number added when two images share a name. */
function uniqueName(path: string, taken: Set<string>): string {
  const stem = basename(path, extname(path)) || 'image';
  let name = `${stem}.cam.png`;
  for (let i = 2; taken.has(name); i++) name = `${stem}-${i}.cam.png`;
  taken.add(name);
  return name;
}
