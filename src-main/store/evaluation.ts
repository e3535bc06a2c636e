/**
 * A run's evaluation on disk: runs/<id>/eval/summary.json (the contract's EvalResult) and
 * eval/predictions.json (each test image's label, prediction and confidence, for the confusion
 * cell browser). Both are written atomically, predictions first, so a summary never points at
 * predictions from another evaluation.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EvalResultSchema, type EvalResult } from '../contract';
import { atomicWriteFileSync } from './atomic';

export const EVAL_DIR = 'eval';

export interface EvalPredictions {
  /** The evaluation these belong to (its evaluatedAt). */
  evaluatedAt: string;
  labels: number[];
  predicted: number[];
  /** The probability given to the predicted class. */
  confidence: number[];
}

export function writeEvaluation(runDir: string, result: EvalResult, predictions: EvalPredictions): void {
  const dir = join(runDir, EVAL_DIR);
  mkdirSync(dir, { recursive: true });
  atomicWriteFileSync(join(dir, 'predictions.json'), JSON.stringify(predictions));
  atomicWriteFileSync(join(dir, 'summary.json'), `${JSON.stringify(result, null, 2)}\n`);
}

/** The saved evaluation, or null when there is none or it cannot be read. */
export function readEvaluation(runDir: string): EvalResult | null {
  const file = join(runDir, EVAL_DIR, 'summary.json');
  if (!existsSync(file)) return null;
  try {
    const parsed = EvalResultSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function readEvalPredictions(runDir: string): EvalPredictions | null {
  try {
    const value = JSON.parse(readFileSync(join(runDir, EVAL_DIR, 'predictions.json'), 'utf8')) as EvalPredictions;
    const n = value.labels?.length;
    return Array.isArray(value.labels) && value.predicted?.length === n && value.confidence?.length === n ? value : null;
  } catch {
    return null;
  }
}

/**
 * The test images of one confusion cell (true class `actual`, predicted `predicted`), the most
 * confident prediction first: in an off-diagonal cell, the most confidently wrong.
 */
export function cellIndices(predictions: EvalPredictions, actual: number, predicted: number): number[] {
  const found: number[] = [];
  for (let i = 0; i < predictions.labels.length; i++) {
    if (predictions.labels[i] === actual && predictions.predicted[i] === predicted) found.push(i);
  }
  return found.sort((a, b) => predictions.confidence[b] - predictions.confidence[a] || a - b);
}
