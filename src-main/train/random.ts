/**
 * Seeded randomness. A run's seed fixes three streams, each a mulberry32 generator whose whole state
 * is one 32-bit number, so a checkpoint can store it and a resumed run continue it exactly:
 *  - the validation split, the data order (shuffled once per epoch) and the augmentation draws;
 *  - weight initialisation and dropout masks. TF.js layer initializers and `tf.dropout` take a seed
 *    only through each layer's config, and without one they seed their own generator from
 *    `Math.random()` (tfjs-core rand_util: `seed ? seed : Math.random()`). The loop therefore
 *    runs model building and each (synchronous) training step with `Math.random` replaced by the
 *    run's generator (`withMathRandom`): the same seed gives the same initial weights and masks.
 */

export { createRandom, Mulberry32, shuffleInPlace } from '../data/random';

/**
 * Runs a synchronous function with `Math.random` replaced by `random`, so TF.js ops that seed
 * themselves from it (initializers, dropout) draw from the run's seeded stream.
 */
export function withMathRandom<T>(random: () => number, fn: () => T): T {
  const original = Math.random;
  Math.random = random;
  try {
    return fn();
  } finally {
    Math.random = original;
  }
}

/** The seeds of a run's streams, derived from its one seed. */
export const streamSeeds = (seed: number) => ({
  split: seed,
  order: (seed + 1) >>> 0,
  init: (seed ^ 0x5eed5eed) >>> 0,
  tensors: (seed ^ 0x9e3779b9) >>> 0,
  augment: (seed ^ 0x2545f491) >>> 0,
});

/**
 * The seed of data-parallel replica `index`'s random stream (its dropout masks) at `step`: a function
 * of the run's seed, the step and the replica alone, so a resumed run draws the same masks without
 * storing any replica state. The training thread keeps drawing from the run's own tensor stream.
 */
export function replicaStepSeed(seed: number, step: number, index: number): number {
  return (streamSeeds(seed).tensors ^ Math.imul(step + 1, 0x9e3779b1) ^ Math.imul(index, 0x85ebca6b)) >>> 0;
}
