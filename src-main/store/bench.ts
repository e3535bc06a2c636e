/**
 * How long the Runs screen's list takes with many runs in the store: `count` run folders (run.json,
 * a best checkpoint's state.json, an evaluation summary on every other run) in a temporary home,
 * then `RunStore.list()` timed. Wired into `cvb bench`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrainConfigSchema } from '../contract';
import { EMPTY_META, RUN_SCHEMA_VERSION, RunStore, type RunRecord } from './runs';

export interface RunListBenchmark {
  runs: number;
  /** Each timed `list()`, in milliseconds. */
  listMs: number[];
  /** The median of listMs. */
  medianMs: number;
  /** The first, cold list (the operating system's file cache already warm from creating them). */
  firstMs: number;
}

export function benchmarkRunList(options: { count?: number; repeats?: number; home?: string } = {}): RunListBenchmark {
  const count = options.count ?? 1000;
  const repeats = options.repeats ?? 5;
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'cvb-bench-runs-'));
  const store = new RunStore(home);
  try {
    const config = TrainConfigSchema.parse({ model: 'resnet20', epochs: 30, batchSize: 128, learningRate: 0.1, optimizer: 'momentum' });
    const start = Date.UTC(2025, 0, 1);
    for (let i = 0; i < count; i++) {
      const created = new Date(start + i * 60_000);
      const id = store.newId(i % 2 ? 'resnet20' : 'vgg11', created);
      const dir = join(store.runsDir, id);
      mkdirSync(join(dir, 'checkpoints', 'best'), { recursive: true });
      const record: RunRecord = {
        schemaVersion: RUN_SCHEMA_VERSION,
        id,
        config: { ...config, model: i % 2 ? 'resnet20' : 'vgg11', seed: i },
        status: 'completed',
        createdAt: created.toISOString(),
        startedAt: created.toISOString(),
        endedAt: new Date(created.getTime() + 3_600_000).toISOString(),
        backend: { name: 'wasm', device: 'XNNPACK', passedOver: [] },
        versions: { workbench: 'bench' },
        epochsDone: 30,
        steps: 11_730,
        final: { trainLoss: 0.2, trainAccuracy: 0.93, valLoss: 0.3, valAccuracy: 0.9 },
        error: null,
        workerPid: null,
        meta: { ...EMPTY_META, tags: i % 3 ? [] : ['baseline'], starred: i % 10 === 0 },
      };
      // Plain writes: the fixture does not need the store's fsyncs, only the same files.
      writeFileSync(join(dir, 'run.json'), JSON.stringify(record, null, 2));
      writeFileSync(join(dir, 'metrics.jsonl'), '');
      writeFileSync(join(dir, 'checkpoints', 'best', 'state.json'), JSON.stringify({ epoch: 28, step: 10_948, best: { metric: 'valAccuracy', score: 0.91, epoch: 28 } }));
      if (i % 2 === 0) mkdirSync(join(dir, 'eval'));
      if (i % 2 === 0) writeFileSync(join(dir, 'eval', 'summary.json'), JSON.stringify({ accuracy: 0.9, top5: 0.99 }));
    }
    const listMs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      const listed = store.list();
      listMs.push(performance.now() - started);
      if (listed.length !== count) throw new Error(`listed ${listed.length} runs, expected ${count}`);
    }
    const sorted = [...listMs].sort((a, b) => a - b);
    return { runs: count, listMs, medianMs: sorted[Math.floor(sorted.length / 2)], firstMs: listMs[0] };
  } finally {
    if (!options.home) rmSync(home, { recursive: true, force: true });
  }
}
