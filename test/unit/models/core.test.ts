import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { methods, parseRequest, type ApiError, type MethodName, type ModelInspection, type ModelInfo, type Result } from '../../../src-main/contract';
import { checkModelOptions, modelHandlers } from '../../../src-main/core/models';
import { WorkbenchError } from '../../../src-main/core/errors';
import { inspectModel, listModels, modelParamCount } from '../../../src-main/zoo';

/** The contract door in front of the model handlers, as the workbench's `request` is. */
async function call(method: MethodName, params: unknown): Promise<Result<unknown>> {
  const parsed = parseRequest(method, params);
  if (!parsed.ok) return parsed;
  try {
    const handler = modelHandlers[parsed.method as keyof typeof modelHandlers] as (params: unknown) => unknown;
    const value = await handler(parsed.params);
    // Every answer must be what the contract promises.
    methods[parsed.method].response.parse(value);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof WorkbenchError) return { ok: false, error: error.error };
    throw error;
  }
}

async function inspect(params: unknown): Promise<ModelInspection> {
  const result = await call('models.inspect', params);
  if (!result.ok) throw new Error(result.error.message);
  return result.value as ModelInspection;
}

async function inspectError(params: unknown): Promise<ApiError> {
  const result = await call('models.inspect', params);
  if (result.ok) throw new Error('expected an error');
  return result.error;
}

describe('models.list', () => {
  it('lists every registered variant with its paper, its switches and its parameter count', async () => {
    const result = await call('models.list', {});
    expect(result.ok).toBe(true);
    const models = (result as { value: ModelInfo[] }).value;
    expect(models.map((m) => m.name)).toEqual(listModels().map((m) => m.name));
    const resnet50 = models.find((m) => m.name === 'resnet50')!;
    expect(resnet50).toMatchObject({ family: 'ResNet', input: [224, 224, 3], classes: 1000, params: 25_557_032 });
    expect(resnet50.paper).toMatch(/He et al/);
    expect(resnet50.switches?.se).toEqual({ kind: 'boolean', default: false, description: expect.any(String) });
    expect(resnet50.switches?.activation).toMatchObject({ kind: 'choice', choices: ['relu', 'leaky_relu', 'sigmoid', 'elu'] });
    // `training` is the trainer's business, not a user's switch.
    expect(models.every((m) => m.switches && !('training' in m.switches))).toBe(true);
    expect(models.find((m) => m.name === 'googlenet')?.auxOutputs).toEqual({ count: 2, defaultWeight: 0.3 });
  });
});

describe('models.inspect', () => {
  it('answers what the zoo inspector computes, with the activation memory for the batch', async () => {
    const inspection = await inspect({ name: 'resnet18', input: 64, classes: 10, batchSize: 8 });
    const zoo = inspectModel('resnet18', { input: [64, 64, 3], classes: 10, batchSize: 8 });
    expect(inspection).toMatchObject({ name: 'resnet18', family: 'ResNet', input: [64, 64, 3], classes: 10, batchSize: 8 });
    expect(inspection.params).toEqual(zoo.params);
    expect(inspection.macs).toBe(zoo.macs);
    expect(inspection.activationBytes).toBe(zoo.activationBytes);
    expect(inspection.activationBytes).toBe(8 * (await inspect({ name: 'resnet18', input: 64, classes: 10 })).activationBytes);
    expect(inspection.layers).toEqual(zoo.layers);
    expect(inspection.layers.at(-1)).toMatchObject({ name: 'logits', outputShape: [10] });
    expect(inspection.options).toMatchObject({ se: false, activation: 'relu' });
  });

  it('uses the variant defaults: 224/1000, 299 for inception_v3, 32/10 for the small ones', async () => {
    expect(await inspect({ name: 'resnet50' })).toMatchObject({ input: [224, 224, 3], classes: 1000, params: { trainable: 25_557_032 } });
    // The auxiliary head exists only in the graph the trainer builds: torchvision's 27,161,264 counts it.
    expect(await inspect({ name: 'inception_v3' })).toMatchObject({ input: [299, 299, 3], classes: 1000, params: { trainable: 23_834_568 }, trainingParams: { trainable: 27_161_264 } });
    expect((await inspect({ name: 'inception_v3', options: { auxHeads: false } })).trainingParams.trainable).toBe(23_834_568);
    expect(await inspect({ name: 'resnet20' })).toMatchObject({ input: [32, 32, 3], classes: 10, params: { trainable: modelParamCount('resnet20') } });
  });

  it('takes [h, w, c] inputs and applies the switches', async () => {
    const plain = await inspect({ name: 'resnet18', input: [48, 40, 1], classes: 5 });
    expect(plain.input).toEqual([48, 40, 1]);
    const se = await inspect({ name: 'resnet18', input: [48, 40, 1], classes: 5, options: { se: true, seReduction: 8 } });
    expect(se.params.trainable).toBeGreaterThan(plain.params.trainable);
    expect(se.layers.some((layer) => layer.name.includes('_se_'))).toBe(true);
    expect(se.options).toMatchObject({ se: true, seReduction: 8 });
  });

  it.each([
    [{ name: 'resnet9000' }, 'name', /unknown model "resnet9000"/],
    [{ name: '' }, 'name', /choose a model/],
    [{ name: 'resnet18', options: { dropout: 2 } }, 'options.dropout', /dropout must be ≥ 0 and ≤ 1; got 2/],
    [{ name: 'resnet18', options: { activation: 'swish' } }, 'options.activation', /one of relu, leaky_relu, sigmoid, elu/],
    [{ name: 'resnet18', options: { colour: 'red' } }, 'options.colour', /no switch "colour"/],
    [{ name: 'densenet121', options: { growthRate: 0 } }, 'options.growthRate', /growthRate/],
    [{ name: 'alexnet', options: { groups: 3 } }, 'options.groups', /divide by groups=3/],
    [{ name: 'resnet18', options: { se: null } }, 'options.se', /received null/],
    [{ name: 'vgg16', input: 31, options: { head: 'flatten' } }, 'input', /at layer "block5_pool" O = \(I − K \+ 2P\)\/S \+ 1/],
    [{ name: 'inception_v3', input: 40 }, 'input', /too small for inception_v3: at layer "\w+"/],
    [{ name: 'resnet18', input: 0 }, 'input', /too small|>=1|at least/i],
    [{ name: 'resnet18', input: [32, 32] }, 'input', /.+/],
    [{ name: 'resnet18', classes: 0 }, 'classes', /.+/],
    [{ name: 'resnet18', batchSize: 1.5 }, 'batchSize', /whole number/],
    [{ name: 'resnet18', colour: 'red' }, 'colour', /not a known field/],
  ])('refuses %j naming %s', async (params, field, message) => {
    const error = await inspectError(params);
    expect(error.code).toBe('invalid_request');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  // What keeps it fast enough for every keystroke: a dry run that allocates no weights, so it
  // needs no TF.js backend at all (none is registered in this file, and none gets started).
  it('answers without a TF.js backend, so it stays cheap for every keystroke', async () => {
    for (let i = 0; i < 5; i++) expect((await inspect({ name: 'densenet201', input: 200 + i, options: { growthRate: 32 + i } })).params.trainable).toBeGreaterThan(0);
    expect(() => tf.memory()).toThrow(/backend/i);
  });
});

describe('checkModelOptions (for runs.start)', () => {
  it('passes good switches and names the bad one under modelOptions', () => {
    expect(checkModelOptions('resnet20', { se: true }, [28, 28, 1], 10)).toBeNull();
    expect(checkModelOptions('resnet20', { dropout: -1 })).toMatchObject({ field: 'modelOptions.dropout' });
    expect(checkModelOptions('resnet20', { training: true })).toMatchObject({ field: 'modelOptions.training' });
    expect(checkModelOptions('vgg16', { head: 'flatten' }, [16, 16, 1], 10)).toMatchObject({ field: 'input', message: /block\d_pool/ });
  });
});
