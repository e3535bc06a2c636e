import { describe, expect, it } from 'vitest';
import { BUILTIN_EXPERIMENTS } from '../../../src-main/experiments/builtin';
import { armsFromBuiltin, armsFromVary, ExperimentInputError } from '../../../src-main/experiments/plan';
import { inspectModel } from '../../../src-main/zoo';
import { BASE } from './helpers';

const FASHION = { input: [28, 28, 1] as [number, number, number], classes: 10 };
const paramsOf = (arm: { config: { model: string; modelOptions: Record<string, unknown> } }) =>
  inspectModel(arm.config.model, { ...arm.config.modelOptions, ...FASHION }).params.trainable;

describe('built-in paper experiments', () => {
  it('cover every idea the issue names', () => {
    expect(BUILTIN_EXPERIMENTS.map((b) => b.name)).toEqual(
      expect.arrayContaining(['relu-vs-sigmoid', 'bn-on-off', 'dropout-on-off', 'plain-vs-residual', 'add-vs-concat', 'se-on-off', 'label-smoothing', 'cardinality', 'aux-heads']),
    );
  });

  it.each(BUILTIN_EXPERIMENTS.map((b) => [b.name, b] as const))('%s: every arm builds on the bundled dataset and its claims name its arms', (_name, definition) => {
    const { arms } = armsFromBuiltin(definition, undefined);
    expect(arms.map((arm) => arm.value)).toEqual(definition.vary.values);
    for (const arm of arms) {
      expect(arm.config.dataset).toBe('fashion-mnist-subset');
      expect(paramsOf(arm)).toBeGreaterThan(0);
    }
    const configs = arms.map((arm) => JSON.stringify(arm.config));
    expect(new Set(configs).size).toBe(arms.length);
    for (const claim of definition.claims) {
      expect(definition.vary.values).toContain(claim.better);
      expect(definition.vary.values).toContain(claim.worse);
      expect(claim.en.length).toBeGreaterThan(20);
      expect(claim.zhCN).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('add against concat and 1×64d against 32×4d are matched in parameters (within 3%)', () => {
    for (const name of ['add-vs-concat', 'cardinality']) {
      const [a, b] = armsFromBuiltin(BUILTIN_EXPERIMENTS.find((x) => x.name === name)!, undefined).arms.map(paramsOf);
      expect(Math.abs(a - b) / a, name).toBeLessThan(0.03);
    }
  });

  it('plain-vs-residual: the same depth with and without shortcuts', () => {
    const { arms } = armsFromBuiltin(BUILTIN_EXPERIMENTS.find((x) => x.name === 'plain-vs-residual')!, 5);
    expect(arms.map((arm) => [arm.config.model, arm.config.modelOptions.residual, arm.config.maxSteps])).toEqual([
      ['resnet20', false, 5],
      ['resnet56', false, 5],
      ['resnet20', true, 5],
      ['resnet56', true, 5],
    ]);
  });
});

describe('arms from a base and one varied field', () => {
  it('sets a switch or a training field, keeps the rest', () => {
    expect(armsFromVary(BASE, { field: 'activation', values: ['relu', 'sigmoid'] }).map((a) => a.config.modelOptions)).toEqual([{ activation: 'relu' }, { activation: 'sigmoid' }]);
    const lr = armsFromVary(BASE, { field: 'learningRate', values: [0.1, 0.01] });
    expect(lr.map((a) => [a.config.learningRate, a.config.epochs])).toEqual([
      [0.1, 2],
      [0.01, 2],
    ]);
  });

  it.each([
    [{ field: 'colour', values: ['red', 'blue'] }, /"colour" is neither a switch of resnet20/],
    [{ field: 'learningRate', values: [0.1, -1] }, /the arm -1 is not a valid configuration: learningRate: must be greater than 0/],
    [{ field: 'training', values: [true, false] }, /"training" is neither/],
  ])('refuses %j naming vary', (vary, message) => {
    try {
      armsFromVary(BASE, vary);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ExperimentInputError);
      expect((error as ExperimentInputError).error).toMatchObject({ code: 'invalid_request', field: 'vary', message: expect.stringMatching(message) });
    }
  });
});
