/**
 * The inference worker: one process kept warm by Core, with loaded models cached, so predictions
 * never block the window and a second prediction does not reload the network. Jobs run one at a
 * time in arrival order; a native crash or an out-of-memory here kills this process, not the app.
 */
import { initBackend } from '../engine';
import { RunStore } from '../store/runs';
import { toApiError } from './errors';
import { runJob, type JobContext } from './jobs';
import { ModelCache } from './models';
import type { HostToInferWorker, InferWorkerToHost } from './protocol';

let context: Promise<JobContext> | null = null;
let queue: Promise<void> = Promise.resolve();

function send(message: InferWorkerToHost): void {
  process.send?.(message);
}

process.on('message', (message: HostToInferWorker) => {
  if (message.type === 'init') {
    context = (async () => {
      const backend = await initBackend(message.backend);
      send({ type: 'ready', backend });
      return { cache: new ModelCache(new RunStore(message.home), message.datasetRoots, message.maxModels), backend: backend.name };
    })();
    context.catch((error: unknown) => {
      send({ type: 'init-failed', error: error instanceof Error ? error.message : String(error) });
      process.exitCode = 1;
      process.disconnect?.();
    });
  } else if (message.type === 'job') {
    queue = queue.then(async () => {
      try {
        if (!context) throw new Error('the inference worker got a job before init');
        const value = await runJob(await context, message.job);
        send({ type: 'result', id: message.id, ok: true, value });
      } catch (error) {
        send({ type: 'result', id: message.id, ok: false, error: toApiError(error) });
      }
    });
  }
});

// Core going away (the app quit or crashed) ends the worker too.
process.on('disconnect', () => process.exit(0));
