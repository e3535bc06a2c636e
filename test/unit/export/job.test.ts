import * as tf from '@tensorflow/tfjs-core';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainConfigSchema, type DatasetInfo } from '../../../src-main/contract';
import { initBackend } from '../../../src-main/engine/backends';
import { describeJob, writeJobFolder, JOB_FILES } from '../../../src-main/export/job';
import type { RunRecord } from '../../../src-main/store/runs';
import { getModelMeta } from '../../../src-main/zoo';
import { inspectModel } from '../../../src-main/zoo/inspect';
import { pythonWithTorch, runPython } from './python';

let python: string;
beforeAll(async () => {
  python = pythonWithTorch();
  await initBackend('wasm');
});

function record(model: string, modelOptions: Record<string, boolean | number | string> = {}): RunRecord {
  return {
    schemaVersion: 1,
    id: `20260101-000000-${model.replace(/_/g, '-')}-abc123`,
    config: TrainConfigSchema.parse({ model, epochs: 1, batchSize: 8, learningRate: 0.01, modelOptions }),
    status: 'completed',
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: null,
    endedAt: null,
    backend: null,
    versions: {},
    epochsDone: 0,
    steps: 0,
    final: { trainLoss: null, trainAccuracy: null, valLoss: null, valAccuracy: null },
    error: null,
    workerPid: null,
  };
}

function dataset(input: [number, number, number], classes = 10): DatasetInfo {
  return { id: 'tiny', name: 'Tiny', classes: Array.from({ length: classes }, (_, i) => `c${i}`), input, trainCount: 0, testCount: 0, source: 'test' };
}

// The PyTorch model writes a workbench checkpoint from random weights (batch-norm statistics
// included) and its logits for a fixed input; the workbench loads that checkpoint and compares.
const PROBE = `
import json, sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
import model as m
job = m.read_job(sys.argv[1] + "/job.json")
torch.manual_seed(0)
net = m.build_model(job)
h, w, c = job["dataset"]["input"]
x = torch.from_numpy(np.fromfile(sys.argv[2], dtype="<f4").reshape(2, h, w, c)).permute(0, 3, 1, 2).contiguous()
# Batch statistics of a forward pass over 16 random images as running statistics (momentum None:
# a plain average), as after training, so that a hundred layers keep activations in a float32-friendly range.
with torch.no_grad():
    for module in net.modules():
        if isinstance(module, m.BatchNorm):
            module.momentum = None
            module.weight.uniform_(0.8, 1.2); module.bias.uniform_(-0.1, 0.1)
    net.train()
    net(torch.randn(16, c, h, w))
net.eval()
first = lambda out: out[0] if isinstance(out, tuple) else out
with torch.no_grad():
    # Logits of a trained network's size (|z| <= 10), so 1e-4 is a test of the mapping, not of float32's last bits.
    scale = float(first(net(x)).abs().max())
    if scale > 10:
        for name in net.outputs:
            net.layers[name].weight.mul_(10 / scale)
            net.layers[name].bias.mul_(10 / scale)
    logits = first(net(x)).numpy()
state = {"epoch": 1, "step": 1, "savedAt": "", "seed": 1, "batchInEpoch": 0, "orderRandomState": 0, "tensorRandomState": 0,
         "epochTotals": {"loss": 0, "correct": 0, "seen": 0}, "best": {"metric": "valAccuracy", "score": None, "epoch": None},
         "epochsWithoutImprovement": 0, "learningRate": 0.1}
m.save_workbench_checkpoint(net, job, sys.argv[3], state, {"version": 1, "input": [h, w, c], "classes": job["dataset"]["classes"],
                            "mean": [0.5] * c, "std": [0.25] * c, "resize": "squash", "background": "white"})
logits.astype("<f4").tofile(sys.argv[4])
print(json.dumps({"trainableParameters": m.trainable_parameters(net)}))
`;

async function workbenchLogits(checkpoint: string, input: Float32Array, shape: [number, number, number]): Promise<Float32Array> {
  const json = JSON.parse(readFileSync(join(checkpoint, 'model.json'), 'utf8'));
  const bytes = readFileSync(join(checkpoint, 'weights.bin'));
  const model = await loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((group: { weights: tf.io.WeightsManifestEntry[] }) => group.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  });
  const output = model.predict(tf.tensor4d(input, [2, ...shape])) as tf.Tensor | tf.Tensor[];
  const logits = (Array.isArray(output) ? output[0] : output).dataSync() as Float32Array;
  model.dispose();
  return logits;
}

describe('a run exported as a PyTorch job', () => {
  it.each([
    ['resnet20', [16, 16, 3], {}],
    ['vgg11_bn', [32, 32, 3], { smallInput: true }],
    ['densenet_bc_100_k12', [16, 16, 3], {}],
    ['seresnet50', [16, 16, 3], { smallInput: true }],
    // The other layer kinds, narrowed to keep the test cheap: LRN and grouped convolutions,
    // inception branches with 'same' pooling and aux heads, ResNeXt's grouped 3×3, VGG without BN.
    ['alexnet', [64, 64, 3], { widthMultiplier: 0.125 }],
    ['googlenet', [64, 64, 3], { widthMultiplier: 0.25 }],
    ['inception_v3', [299, 299, 3], { widthMultiplier: 0.125 }],
    ['resnext50_32x4d', [16, 16, 3], { smallInput: true, widthMultiplier: 0.25 }],
    ['vgg11', [32, 32, 1], { smallInput: true, widthMultiplier: 0.25, head: 'flatten' }],
  ] as const)('%s: model.py has the parameter count of cvb inspect, and its converted weights give the same logits', async (model, input, options) => {
    const job = await describeJob({ record: record(model, options), dataset: dataset([...input]), datasetPath: null, workbenchVersion: 'test' });
    const dir = join(mkdtempSync(join(tmpdir(), 'cvb-job-')), 'job');
    expect(writeJobFolder(job, dir)).toEqual([...JOB_FILES]);

    // The job trains the network with its auxiliary heads, as the workbench does.
    const training = getModelMeta(model)?.auxOutputs ? { training: true, auxHeads: true } : {};
    const inspected = inspectModel(model, { input: [...input], classes: 10, ...options, ...training });
    expect(job.model.trainableParameters).toBe(inspected.params.trainable);

    const x = Float32Array.from({ length: 2 * input[0] * input[1] * input[2] }, (_, i) => Math.sin(i * 0.37) * 1.5);
    const inputFile = join(dir, 'x.f32');
    writeFileSync(inputFile, Buffer.from(x.buffer));
    const checkpoint = join(dir, 'checkpoint');
    const counted = JSON.parse(runPython(python, ['-c', PROBE, dir, inputFile, checkpoint, join(dir, 'logits.f32')]));
    expect(counted.trainableParameters).toBe(inspected.params.trainable);
    const torchBytes = readFileSync(join(dir, 'logits.f32'));
    const torchLogits = new Float32Array(torchBytes.buffer.slice(torchBytes.byteOffset, torchBytes.byteOffset + torchBytes.byteLength));
    const ours = await workbenchLogits(checkpoint, x, [...input]);
    expect(ours.length).toBe(20);
    const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - torchLogits[i])));
    expect(worst).toBeLessThan(1e-4);
    expect(Math.max(...Array.from(ours, Math.abs))).toBeGreaterThan(1e-3);
  }, 300_000);
});
