import * as tf from '@tensorflow/tfjs-core';
import { it } from 'vitest';
import { createModel } from '../../../src-main/zoo';
import { fixedBatch, smallOptions, useCpu, lossOf } from './helpers';
it('dbg', async () => {
  await useCpu();
  for (const name of ['resnext50_32x4d']) {
    const o = smallOptions(name);
    const m = createModel(name, o);
    const { x, labels } = fixedBatch(o.input!, 5);
    const l = () => tf.tidy(() => lossOf(m, x, labels).dataSync()[0]);
    console.log(name, 'twice', l(), l());
    const variables = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(() => lossOf(m, x, labels), variables);
    let g2 = 0; for (const g of Object.values(grads)) g2 += tf.sum(tf.square(g)).dataSync()[0];
    console.log('value', value.dataSync()[0], 'g2', g2, Object.keys(grads).slice(0,3), variables.slice(0,3).map(v=>v.name));
    for (const lr of [1e-5, 1e-4, 1e-3]) {
      const saved = variables.map(v => v.clone());
      tf.train.sgd(lr).applyGradients(grads);
      console.log('lr', lr, l(), 'expected drop', lr*g2);
      variables.forEach((v, i) => v.assign(saved[i]));
    }
    m.dispose();
  }
}, 600000);
