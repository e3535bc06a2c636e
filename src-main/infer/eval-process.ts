/**
 * A short-lived child process that evaluates one run on its test split (infer/evaluate.ts), so
 * TF.js work never blocks Core and an out-of-memory kills this process, not the app. Started by
 * core/run-library.ts: one `evaluate` message in, one `done` or `failed` message out, then exit.
 */
import { initBackend } from '../engine';
import { RunStore } from '../store/runs';
import { evaluateRun } from './evaluate';
import type { EvalReplyMessage, EvalRequestMessage } from './protocol';

function reply(message: EvalReplyMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

process.once('message', (message: EvalRequestMessage) => {
  if (message?.type !== 'evaluate') return;
  void (async () => {
    try {
      await initBackend(message.backend);
      const result = await evaluateRun({ store: new RunStore(message.home), runId: message.runId, datasetRoots: message.datasetRoots, checkpoint: message.checkpoint });
      await reply({ type: 'done', result });
    } catch (error) {
      const apiCode = (error as { error?: { code?: string } }).error?.code;
      await reply({ type: 'failed', error: error instanceof Error ? error.message : String(error), code: apiCode });
      process.exitCode = 1;
    } finally {
      process.disconnect?.();
    }
  })();
});
