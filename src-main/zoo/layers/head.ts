/**
 * The classifier head shared by the GAP-headed families (ResNet, DenseNet, GoogLeNet,
 * Inception): pool or flatten → optional dropout → a dense layer named `logits`.
 * Every zoo model outputs logits (no softmax), as torchvision does.
 */
import { dense, dropout, flatten, globalAvgPool, type Tensor } from './graph';

export type HeadKind = 'gap' | 'flatten';

/** 'gap' accepts any input size; 'flatten' ties the dense layer to the input size. */
export function pooledFeatures(x: Tensor, head: HeadKind, prefix = ''): Tensor {
  return head === 'gap' ? globalAvgPool(x, `${prefix}avg_pool`) : flatten(x, `${prefix}flatten`);
}

export function classifier(x: Tensor, options: { head: HeadKind; dropout: number; classes: number }): Tensor {
  let y = pooledFeatures(x, options.head);
  y = dropout(y, options.dropout, 'dropout');
  return dense(y, options.classes, 'logits');
}
