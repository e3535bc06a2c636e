import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type TrainConfigInput } from '../../../src-main/contract';
import { createRandom } from '../../../src-main/data/random';
import { planTraining } from '../../../src-main/train/loop';
import { learningRateAt } from '../../../src-main/train/schedules';
import { pythonWithTorch, runPython } from './python';

const JOB_DIR = join(__dirname, '..', '..', '..', 'src-main', 'export', 'job');

let python: string;
beforeAll(() => {
  python = pythonWithTorch();
});

/** Runs train.py's ported helpers on `cases` and returns what they print (one JSON value). */
function py(code: string, input: unknown): unknown {
  const script = `import json, sys\nsys.path.insert(0, ${JSON.stringify(JOB_DIR)})\nimport train\ncases = json.loads(sys.argv[1])\n${code}`;
  return JSON.parse(runPython(python, ['-c', script, JSON.stringify(input)]));
}

const config = (input: Partial<TrainConfigInput>) => TrainConfigSchema.parse({ model: 'resnet20', epochs: 10, batchSize: 32, learningRate: 0.1, ...input });

describe("train.py's recipe is the workbench's", () => {
  it('draws the same mulberry32 numbers', () => {
    const seeds = [0, 42, 2 ** 31 - 1, 0x9e3779b9];
    const ours = seeds.map((seed) => {
      const next = createRandom(seed);
      return Array.from({ length: 20 }, () => next());
    });
    const theirs = py('r = [train.Mulberry32(s) for s in cases]\nprint(json.dumps([[g.next() for _ in range(20)] for g in r]))', seeds);
    expect(theirs).toEqual(ours);
  });

  it('holds out the same validation images and trains on the same ones, in the same order', () => {
    const labels = Uint8Array.from({ length: 997 }, (_, i) => (i * 7 + (i % 13)) % 10);
    const cases = [config({ seed: 3, validationFraction: 0.1 }), config({ seed: 99, validationFraction: 0.25, batchSize: 64, maxSteps: 20 })];
    const ours = cases.map((c) => {
      const plan = planTraining(c, { labels, count: labels.length });
      return { train: [...plan.trainIndices], validation: [...plan.validationIndices], stepsPerEpoch: plan.stepsPerEpoch, totalSteps: plan.totalSteps };
    });
    const theirs = py(
      'labels = cases["labels"]\nout = []\nfor c in cases["configs"]:\n    p = train.plan_training(c, labels, 0)\n    out.append({k: p[k] for k in ("train", "validation", "stepsPerEpoch", "totalSteps")})\nprint(json.dumps(out))',
      { labels: [...labels], configs: cases },
    );
    expect(theirs).toEqual(ours);
  });

  it('schedules the same learning rate at every step, warm-up included', () => {
    const timing = { stepsPerEpoch: 7, totalSteps: 70 };
    const cases = [
      config({ schedule: { type: 'constant' }, warmupEpochs: 1.5 }),
      config({ schedule: { type: 'step', stepEpochs: 3, gamma: 0.5 } }),
      config({ schedule: { type: 'multistep', milestones: [2, 5], gamma: 0.1 }, warmupEpochs: 1 }),
      config({ schedule: { type: 'cosine', minLearningRate: 0.001 }, warmupEpochs: 2 }),
      config({ schedule: { type: 'onecycle', pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 } }),
    ];
    const ours = cases.map((c) => Array.from({ length: timing.totalSteps }, (_, step) => learningRateAt(c, step, timing)));
    const theirs = py(
      'plan = cases["plan"]\nprint(json.dumps([[train.learning_rate_at(c, s, plan) for s in range(plan["totalSteps"])] for c in cases["configs"]]))',
      { plan: timing, configs: cases },
    ) as number[][];
    theirs.forEach((rates, i) => rates.forEach((rate, step) => expect(rate).toBeCloseTo(ours[i][step], 12)));
  });
});
