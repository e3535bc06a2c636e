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

/** mulberry32: small, fast, and its state is a single uint32. */
export class Mulberry32 {
  private value: number;

  constructor(seed: number) {
    this.value = seed >>> 0;
  }

  /** The generator's state, to store in a checkpoint and restore with `state = ...`. */
  get state(): number {
    return this.value;
  }

  set state(value: number) {
    this.value = value >>> 0;
  }

  /** A number in [0, 1). */
  readonly next = (): number => {
    this.value = (this.value + 0x6d2b79f5) >>> 0;
    let t = this.value;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded generator function (mulberry32). */
export function createRandom(seed: number): () => number {
  return new Mulberry32(seed).next;
}

/** Fisher–Yates shuffle in place with the given generator. */
export function shuffleInPlace<T>(items: T[] | Uint32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}

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
