/**
 * The batch worker thread (bundled as dist/main/batch-worker.js): prepares training and validation
 * batches off the training thread, whose TF.js steps run synchronously, so batch k+1 is read,
 * augmented and normalised while step k runs. Messages (see batch-producer.ts):
 *   in:  init {sources, spec, augmentState} · batch {id, source, indices, augment} · close
 *   out: ready · failed {message} · batch {id, x, y, augmentState, ms} (buffers transferred) ·
 *        batch-error {id, message} · closed
 */
import { parentPort } from 'node:worker_threads';
import { BatchEngine, openSource, type FromBatchWorker, type OpenedSource, type ToBatchWorker } from './batch-engine';

const port = parentPort;
if (port) {
  let engine: BatchEngine | null = null;
  let opened: OpenedSource[] = [];
  const post = (message: FromBatchWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  port.on('message', (message: ToBatchWorker) => {
    if (message.type === 'init') {
      void (async () => {
        try {
          const names = Object.keys(message.sources);
          opened = await Promise.all(names.map((name) => openSource(message.sources[name])));
          engine = new BatchEngine(Object.fromEntries(names.map((name, i) => [name, opened[i].source])), message.spec, message.augmentState);
          post({ type: 'ready' });
        } catch (error) {
          post({ type: 'failed', message: (error as Error).message });
        }
      })();
    } else if (message.type === 'batch') {
      if (!engine) return post({ type: 'batch-error', id: message.id, message: 'the batch worker is not initialised' });
      engine.run(message.source, message.indices, message.augment).then(
        (batch) => post({ type: 'batch', id: message.id, ...batch }, [batch.x.buffer as ArrayBuffer, batch.y.buffer as ArrayBuffer]),
        (error: unknown) => post({ type: 'batch-error', id: message.id, message: (error as Error).message }),
      );
    } else if (message.type === 'close') {
      void Promise.allSettled(opened.map((o) => o.close())).then(() => {
        post({ type: 'closed' });
        port.close();
      });
    }
  });
}
