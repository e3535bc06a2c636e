/** Stratified, seeded hold-outs: the same seed and labels always give the same split. */
import { createRandom, shuffleInPlace } from './random';

export interface StratifiedSplit {
  /** Indices kept in the original split, ascending. */
  kept: number[];
  /** Indices held out, ascending. */
  held: number[];
}

/**
 * Holds out `fraction` of each class (rounded, at least one image when the class has two or more
 * and the fraction is above zero), so that every class keeps its share in both parts.
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): StratifiedSplit {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`fraction must be in [0, 1); got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  const random = createRandom(seed);
  const kept: number[] = [];
  const held: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = byClass.get(label)!;
    shuffleInPlace(members, random);
    let count = Math.round(members.length * fraction);
    if (fraction > 0 && count === 0 && members.length >= 2) count = 1;
    held.push(...members.slice(0, count));
    kept.push(...members.slice(count));
  }
  return { kept: kept.sort((a, b) => a - b), held: held.sort((a, b) => a - b) };
}
