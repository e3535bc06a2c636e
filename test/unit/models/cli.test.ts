import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseRequest, type ApiError, type MethodName, type Result } from '../../../src-main/contract';
import { inspectCommand } from '../../../src-main/cli/inspect';
import { UsageError } from '../../../src-main/cli/output';
import { modelHandlers } from '../../../src-main/core/models';
import { WorkbenchError } from '../../../src-main/core/errors';
import { createWorkbench, type Workbench } from '../../../src-main/core/workbench';
import { listModels, modelParamCount } from '../../../src-main/zoo';
import { buildMain, distMain, repoRoot } from '../helpers/build';

/**
 * GoogLeNet's two auxiliary heads as torchvision builds them (13,004,888 with aux_logits minus
 * 6,624,904 without = 6,379,984), on top of this zoo's 7,005,832 (the paper's 5×5 third branch).
 */
const GOOGLENET_TRAINING_PARAMS = 7_005_832 + 6_379_984;

const opened: Workbench[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((workbench) => workbench.close()));
  vi.restoreAllMocks();
});

/**
 * A real workbench; until workbench.ts spreads `modelHandlers`, the model methods are answered
 * by them behind the same contract check (afterwards this is the same thing).
 */
async function openWorkbench(home: string): Promise<Workbench> {
  const workbench = await createWorkbench({ home, mode: 'cli', resourcesDir: join(repoRoot, 'resources'), workerEntry: join(distMain, 'train-worker.js'), version: 'test' });
  opened.push(workbench);
  const models = async (method: MethodName, params: unknown): Promise<Result<unknown>> => {
    const parsed = parseRequest(method, params);
    if (!parsed.ok) return parsed;
    try {
      return { ok: true, value: await (modelHandlers[parsed.method as keyof typeof modelHandlers] as (p: unknown) => unknown)(parsed.params) };
    } catch (error) {
      if (error instanceof WorkbenchError) return { ok: false, error: error.error };
      throw error;
    }
  };
  return { ...workbench, request: (method, params) => (method === 'models.inspect' ? models(method, params) : workbench.request(method, params)) };
}

async function runInspect(args: string[]): Promise<{ code: number | null; stdout: string; error: ApiError | null }> {
  const home = mkdtempSync(join(tmpdir(), 'cvb-inspect-'));
  let stdout = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const parsed = inspectCommand.parse(args);
    return { code: await parsed.run({ json: parsed.json, home, open: () => openWorkbench(home) }), stdout, error: null };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, stdout, error: error.error };
    throw error;
  } finally {
    vi.restoreAllMocks();
  }
}

describe('cvb inspect (in process)', () => {
  it('prints the issue shape with --json: the exact counts at the default input', async () => {
    const { code, stdout } = await runInspect(['resnet50', '--json']);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(Object.keys(printed)).toEqual(['name', 'input', 'classes', 'params', 'trainingParams', 'macs', 'layers']);
    expect(printed).toMatchObject({ name: 'resnet50', input: [224, 224, 3], classes: 1000, params: { trainable: 25_557_032 } });
    // No auxiliary heads: the training graph is the inference graph.
    expect(printed.trainingParams).toEqual(printed.params);
    expect(printed.macs / 4.0895e9).toBeCloseTo(1, 1);
    expect(Object.keys(printed.layers[1])).toEqual(['name', 'type', 'outputShape', 'params', 'macs']);
    expect(printed.layers[1]).toMatchObject({ name: 'conv1_conv', type: 'Conv2D', outputShape: [112, 112, 64], params: 9408 });
  });

  it('takes --input and --classes, and switches with --option', async () => {
    const small = JSON.parse((await runInspect(['resnet18', '--input', '64', '--classes', '10', '--json'])).stdout);
    expect(small).toMatchObject({ input: [64, 64, 3], classes: 10 });
    expect(small.layers.at(-1)).toMatchObject({ name: 'logits', outputShape: [10] });
    const se = JSON.parse((await runInspect(['resnet18', '--input', '64x64x1', '--option', 'se=true', '--json'])).stdout);
    expect(se.input).toEqual([64, 64, 1]);
    expect(se.params.trainable).toBeGreaterThan(small.params.trainable);
    expect((await runInspect(['inception_v3', '--json'])).stdout).toContain('"input":[299,299,3]');
    expect(JSON.parse((await runInspect(['densenet_bc_100_k12', '--json'])).stdout)).toMatchObject({ input: [32, 32, 3], classes: 10 });
  });

  it('counts the training graph of models with auxiliary heads apart, in --json and in the table', async () => {
    const inception = JSON.parse((await runInspect(['inception_v3', '--json'])).stdout);
    expect(inception.params.trainable).toBe(23_834_568);
    expect(inception.trainingParams.trainable).toBe(27_161_264);
    expect(inception.layers.some((layer: { name: string }) => layer.name.startsWith('aux'))).toBe(false);
    const googlenet = JSON.parse((await runInspect(['googlenet', '--json'])).stdout);
    expect(googlenet.params.trainable).toBe(7_005_832);
    expect(googlenet.trainingParams.trainable).toBe(GOOGLENET_TRAINING_PARAMS);
    const withoutAux = JSON.parse((await runInspect(['googlenet', '--option', 'auxHeads=false', '--json'])).stdout);
    expect(withoutAux.trainingParams).toEqual(withoutAux.params);

    const { stdout } = await runInspect(['inception_v3']);
    expect(stdout).toMatch(/trainable params\s+23,834,568 for inference, 27,161,264 while training \(auxiliary heads included\)/);
    expect(stdout).toMatch(/non-trainable params\s+[\d,]+ for inference, [\d,]+ while training/);
    expect((await runInspect(['resnet20'])).stdout).not.toContain('while training');
  });

  it('prints a readable table without --json', async () => {
    const { code, stdout } = await runInspect(['vgg11']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^vgg11 \(VGG\) · input 224×224×3 · 1000 classes/);
    expect(stdout).toMatch(/LAYER\s+TYPE\s+OUTPUT\s+PARAMS\s+MACS\s+RF/);
    expect(stdout).toMatch(/block1_conv1_conv\s+Conv2D\s+224×224×64\s+1,792/);
    expect(stdout).toContain(`trainable params      ${modelParamCount('vgg11').toLocaleString('en-US')}`);
    expect(stdout).toMatch(/activation memory\s+[\d.]+ MiB for a batch of 1/);
  });

  it.each([
    [['resnet9000'], 'name', /unknown model "resnet9000"/],
    [[], 'name', /give a model name/],
    [['resnet18', '--input', '8x8'], 'input', /--input/],
    [['resnet18', '--input', 'big'], 'input', /received "big"/],
    [['vgg16', '--input', '20', '--option', 'head=flatten'], 'input', /too small for vgg16: at layer "block\d_pool" O = \(I − K \+ 2P\)\/S \+ 1/],
    [['resnet18', '--classes', '0'], 'classes', /--classes/],
    [['resnet18', '--option', 'dropout=3'], 'option', /--option dropout: .*dropout must be ≥ 0 and ≤ 1; got 3/],
    [['resnet18', '--option', 'dropout'], 'option', /NAME=VALUE/],
    [['resnet18', '--colour', 'red'], 'colour', /colour/],
  ])('inspect %j refuses naming %s', async (args, field, message) => {
    const { code, error } = await runInspect([...args, '--json']);
    expect(code).toBe(2);
    expect(error).toMatchObject({ code: 'invalid_request', field });
    expect(error!.message).toMatch(message);
  });
});

/** The built CLI; `inspect` runs once main.ts lists it among its commands. */

function cvb(args: string[]) {
  const home = mkdtempSync(join(tmpdir(), 'cvb-models-cli-'));
  const result = spawnSync(process.execPath, [join(distMain, 'cli.js'), ...args, '--home', home], { encoding: 'utf8', timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the built CLI', () => {
  beforeAll(() => buildMain(), 300_000);

  it('cvb models --json prints exactly {name, family, input, classes, params} per model', () => {
    const result = cvb(['models', '--json']);
    expect(result.code).toBe(0);
    const models = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(models.map((m) => m.name)).toEqual(listModels().map((m) => m.name));
    for (const model of models) expect(Object.keys(model)).toEqual(['name', 'family', 'input', 'classes', 'params']);
    expect(models.find((m) => m.name === 'resnet50')).toEqual({ name: 'resnet50', family: 'ResNet', input: [224, 224, 3], classes: 1000, params: 25_557_032 });
    expect(models.find((m) => m.name === 'inception_v3')).toMatchObject({ input: [299, 299, 3], params: modelParamCount('inception_v3') });
  });

  it('cvb inspect --json answers, and a bad input exits 2 with the error object', () => {
    const ok = cvb(['inspect', 'resnet18', '--input', '32', '--classes', '10', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ name: 'resnet18', input: [32, 32, 3], classes: 10 });
    const bad = cvb(['inspect', 'vgg16', '--input', '20', '--option', 'head=flatten', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: 'invalid_request', field: 'input' });
  });
});
