/**
 * Seeded randomness for splits, data order and augmentation: mulberry32, small and fast, whose
 * whole state is one 32-bit number, so a checkpoint can store it and a resumed run continue exactly.
 */
export type Random = () => number;

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
export function createRandom(seed: number): Random {
  return new Mulberry32(seed).next;
}

/** Fisher–Yates shuffle in place with the given generator. */
export function shuffleInPlace<T>(items: T[] | Uint32Array, random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}
