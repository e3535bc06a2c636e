import { describe, expect, it } from 'vitest';
import {
  AugmentOptionsSchema,
  errorFromZod,
  RecordedTrainConfigSchema,
  ruleOf,
  TrainConfigSchema,
  withoutUnreadOptimizerFields,
} from '../../../src-main/contract';
import { configFromRecipe, findRecipe } from '../../../src-main/train/recipes';

const base = { model: 'resnet20', epochs: 1, batchSize: 8, learningRate: 0.1 };

function refusal(input: Record<string, unknown>) {
  const parsed = TrainConfigSchema.safeParse(input);
  expect(parsed.success, `expected ${JSON.stringify(input)} to be refused`).toBe(false);
  const issues = parsed.error!.issues;
  return { issues, error: errorFromZod(parsed.error!, input) };
}

describe('rules between training fields', () => {
  it('refuses Nesterov with sgd and no momentum, on the nesterov field, naming the rule', () => {
    const { issues, error } = refusal({ ...base, optimizer: 'sgd', nesterov: true });
    expect(issues).toHaveLength(1);
    expect(ruleOf(issues[0])).toBe('nesterovNeedsMomentum');
    expect(error).toMatchObject({ code: 'invalid_request', field: 'nesterov' });
    expect(error.message).toBe('nesterov: needs a momentum above 0; sgd runs without momentum unless one is set (received true)');
  });

  it('refuses Nesterov with an explicit momentum of 0, and with an optimizer that has no Nesterov form', () => {
    expect(ruleOf(refusal({ ...base, optimizer: 'momentum', momentum: 0, nesterov: true }).issues[0])).toBe('nesterovNeedsMomentum');
    const adam = refusal({ ...base, optimizer: 'adam', nesterov: true });
    expect(ruleOf(adam.issues[0])).toBe('nesterovOptimizer');
    expect(adam.error.message).toMatch(/^nesterov: only sgd and momentum use Nesterov momentum, not adam/);
  });

  it('accepts Nesterov where it runs: sgd with momentum, and the momentum optimizer with its default 0.9', () => {
    expect(TrainConfigSchema.parse({ ...base, optimizer: 'sgd', momentum: 0.9, nesterov: true }).nesterov).toBe(true);
    expect(TrainConfigSchema.parse({ ...base, optimizer: 'momentum', nesterov: true }).nesterov).toBe(true);
  });

  it('reports the rule together with another field out of range', () => {
    const { issues } = refusal({ ...base, epochs: 0, optimizer: 'sgd', nesterov: true });
    expect(issues.map((issue) => issue.path.join('.')).sort()).toEqual(['epochs', 'nesterov']);
  });

  it('still reads a run recorded before the rule existed', () => {
    const recorded = RecordedTrainConfigSchema.parse({ ...base, optimizer: 'sgd', nesterov: true });
    expect(recorded).toMatchObject({ optimizer: 'sgd', nesterov: true });
  });

  it('refuses a random resized crop range given the wrong way round, on that range', () => {
    const { issues, error } = refusal({ ...base, augmentation: { randomResizedCrop: { scale: [1, 0.08], ratio: [0.75, 1.33] } } });
    expect(issues).toHaveLength(1);
    expect(ruleOf(issues[0])).toBe('rangeOrder');
    expect(error.field).toBe('augmentation.randomResizedCrop.scale');
    expect(error.message).toMatch(/the first number \(1\) cannot be larger than the second \(0\.08\)/);
    const alone = AugmentOptionsSchema.safeParse({ randomResizedCrop: { scale: [0.08, 1], ratio: [2, 0.5] } });
    expect(alone.success).toBe(false);
    expect(alone.error!.issues.map((issue) => [issue.path.join('.'), ruleOf(issue)])).toEqual([['randomResizedCrop.ratio', 'rangeOrder']]);
    expect(AugmentOptionsSchema.safeParse({ randomResizedCrop: { scale: [0.5, 0.5], ratio: [1, 1] } }).success).toBe(true);
  });
});

describe('a recipe run with another optimizer', () => {
  it('drops the recipe fields the chosen optimizer does not read, so a Nesterov recipe runs with Adam', () => {
    const recipe = findRecipe('densenet-cifar-paper')!;
    expect(recipe.config).toMatchObject({ optimizer: 'momentum', nesterov: true });
    const config = TrainConfigSchema.parse(configFromRecipe(recipe, { model: 'resnet20' }, { optimizer: 'adam' }));
    expect(config).toMatchObject({ optimizer: 'adam', nesterov: false });
    expect(config).not.toHaveProperty('momentum');
  });

  it('keeps what the optimizer reads', () => {
    expect(withoutUnreadOptimizerFields({ momentum: 0.9, nesterov: true, epsilon: 1 }, 'sgd')).toEqual({ momentum: 0.9, nesterov: true });
    expect(withoutUnreadOptimizerFields({ momentum: 0.9, nesterov: true, epsilon: 1 }, 'rmsprop')).toEqual({ momentum: 0.9, epsilon: 1 });
  });
});
