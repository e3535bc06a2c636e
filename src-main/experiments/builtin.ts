/**
 * The papers' ideas as built-in experiments: one switch each, a laptop-scale recipe on the bundled
 * Fashion-MNIST subset (28×28×1, 9,000 training images after the validation split), the paper's
 * claim in one sentence (English and Simplified Chinese) and the paper's own figure for the same
 * comparison where it reports one.
 *
 * Recipes are small on purpose: width multipliers of ¼ or ⅛ and one or two epochs, so that three
 * seeds of two arms finish in minutes on two cores with the WebAssembly backend. What this costs
 * (laptop-scale differences are smaller and noisier than the papers') is what the error bars show.
 */
import { BUNDLED_DATASET_ID, type BuiltinExperiment, type ExperimentMetric, type ModelOptions, type TrainConfigInput } from '../contract';

export interface BuiltinDefinition extends Omit<BuiltinExperiment, 'runs'> {
  base: TrainConfigInput;
  /** What each arm sets on top of the base; absent: the varied field (a switch or a training field) set to the arm's value. */
  arms?: Record<string, { config?: Partial<TrainConfigInput>; modelOptions?: ModelOptions }>;
  metric?: ExperimentMetric;
}

const DATA = 'the bundled Fashion-MNIST subset (28×28 grey, 10 classes)';
const base = (model: string, modelOptions: ModelOptions, extra: Partial<TrainConfigInput> = {}): TrainConfigInput => ({
  model,
  dataset: BUNDLED_DATASET_ID,
  epochs: 1,
  batchSize: 64,
  learningRate: 0.001,
  optimizer: 'adam',
  modelOptions,
  ...extra,
});

export const BUILTIN_EXPERIMENTS: BuiltinDefinition[] = [
  {
    name: 'relu-vs-sigmoid',
    title: 'ReLU against sigmoid',
    titleZhCN: 'ReLU 对比 sigmoid',
    family: 'AlexNet',
    paper: 'Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012, §3.1',
    vary: { field: 'activation', values: ['relu', 'sigmoid'] },
    claims: [
      {
        better: 'relu',
        worse: 'sigmoid',
        en: 'Networks of rectified linear units train several times faster than the same networks with saturating units (tanh, sigmoid).',
        zhCN: '使用修正线性单元（ReLU）的网络比使用饱和非线性（tanh、sigmoid）的同一网络训练快数倍。',
      },
    ],
    figure: {
      source: 'Krizhevsky et al. 2012, Figure 1 (a four-layer CNN on CIFAR-10)',
      values: [
        { value: 'relu', result: '25% training error after about 6 epochs' },
        { value: 'sigmoid', result: 'tanh needed about six times as many epochs to reach 25%' },
      ],
    },
    recipe: `AlexNet with smallInput (3×3 stem) at ⅛ width, one epoch of Adam (learning rate 0.001, batch 64) on ${DATA}; dropout 0.5 as in the paper.`,
    base: base('alexnet', { smallInput: true, widthMultiplier: 0.125 }),
  },
  {
    name: 'bn-on-off',
    title: 'Batch normalization on and off (VGG)',
    titleZhCN: '批归一化开与关（VGG）',
    family: 'VGG',
    paper: 'Ioffe, Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift", ICML 2015',
    vary: { field: 'batchNorm', values: [false, true] },
    claims: [
      {
        better: true,
        worse: false,
        en: 'Batch normalization lets the same network train with a higher learning rate and reach a given accuracy in far fewer steps.',
        zhCN: '批归一化让同一网络可以用更高的学习率训练，并以少得多的步数达到同样的精度。',
      },
    ],
    figure: {
      source: 'Ioffe & Szegedy 2015, Figure 2 and Table 2 (Inception on ImageNet)',
      values: [
        { value: true, result: 'BN-Inception reached 72.2% in 7.1% of the steps (BN-x5: 2.1M steps against 31M)' },
        { value: false, result: 'Inception: 72.2% after 31M steps' },
      ],
    },
    recipe: `VGG-11 with smallInput at ⅛ width, one epoch of SGD with momentum 0.9 at learning rate 0.05 (a rate batch normalization allows) on ${DATA}.`,
    base: base('vgg11', { smallInput: true, widthMultiplier: 0.125, dropout: 0 }, { optimizer: 'momentum', momentum: 0.9, learningRate: 0.05 }),
  },
  {
    name: 'dropout-on-off',
    title: 'Dropout on and off (AlexNet)',
    titleZhCN: 'Dropout 开与关（AlexNet）',
    family: 'AlexNet',
    paper: 'Krizhevsky, Sutskever, Hinton, NIPS 2012, §4.2; Srivastava et al., "Dropout", JMLR 2014',
    vary: { field: 'dropout', values: [0, 0.5] },
    claims: [
      {
        better: 0.5,
        worse: 0,
        en: 'Dropout in the fully connected layers reduces overfitting: without it the network overfits substantially.',
        zhCN: '全连接层中的 dropout 减少过拟合：没有它，网络会明显过拟合。',
      },
    ],
    figure: null,
    recipe: `AlexNet with smallInput at ¼ width, three epochs of Adam on ${DATA}: long enough for the fully connected layers to start overfitting 9,000 images.`,
    base: base('alexnet', { smallInput: true, widthMultiplier: 0.25 }, { epochs: 3 }),
  },
  {
    name: 'plain-vs-residual',
    title: 'Plain against residual, 20 and 56 layers',
    titleZhCN: '普通网络对比残差网络（20 层与 56 层）',
    family: 'ResNet',
    paper: 'He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2',
    vary: { field: 'network', values: ['plain-20', 'plain-56', 'residual-20', 'residual-56'] },
    arms: {
      'plain-20': { config: { model: 'resnet20' }, modelOptions: { residual: false } },
      'plain-56': { config: { model: 'resnet56' }, modelOptions: { residual: false } },
      'residual-20': { config: { model: 'resnet20' }, modelOptions: { residual: true } },
      'residual-56': { config: { model: 'resnet56' }, modelOptions: { residual: true } },
    },
    claims: [
      {
        better: 'plain-20',
        worse: 'plain-56',
        en: 'Without shortcuts, the deeper plain network is worse than the shallower one, in training as well as test error (degradation).',
        zhCN: '没有捷径连接时，更深的普通网络比更浅的更差，训练误差和测试误差都是如此（退化问题）。',
      },
      {
        better: 'residual-56',
        worse: 'residual-20',
        en: 'With residual connections the deeper network is the better one.',
        zhCN: '加上残差连接后，更深的网络反而更好。',
      },
    ],
    figure: {
      source: 'He et al. 2016, Figure 6 and Table 6 (CIFAR-10 test error)',
      values: [
        { value: 'plain-20', result: 'about 9% (Figure 6, left)' },
        { value: 'plain-56', result: 'above plain-20, about 13% (Figure 6, left)' },
        { value: 'residual-20', result: '8.75%' },
        { value: 'residual-56', result: '6.97%' },
      ],
    },
    recipe: `The CIFAR ResNets (16/32/64 channels, shortcut A) at ½ width with and without shortcuts, two epochs of SGD with momentum 0.9 at learning rate 0.05 on ${DATA}.`,
    base: base('resnet20', { widthMultiplier: 0.5 }, { epochs: 2, optimizer: 'momentum', momentum: 0.9, learningRate: 0.05 }),
  },
  {
    name: 'add-vs-concat',
    title: 'Add against concatenate (ResNet against DenseNet)',
    titleZhCN: '相加对比拼接（ResNet 对比 DenseNet）',
    family: 'DenseNet',
    paper: 'Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", CVPR 2017',
    vary: { field: 'connection', values: ['add', 'concat'] },
    arms: {
      add: { config: { model: 'resnet20' }, modelOptions: {} },
      // Growth rate 7 gives DenseNet-BC-100 268k parameters on 28×28×1, against resnet20's 269k.
      concat: { config: { model: 'densenet_bc_100_k12' }, modelOptions: { growthRate: 7 } },
    },
    claims: [
      {
        better: 'concat',
        worse: 'add',
        en: 'Concatenating earlier feature maps (dense connections) gives better accuracy than adding them (residual connections) at the same number of parameters.',
        zhCN: '在参数量相同时，拼接前面各层的特征图（密集连接）比把它们相加（残差连接）精度更高。',
      },
    ],
    figure: {
      source: 'Huang et al. 2017, Table 2 (CIFAR-10 with augmentation, test error)',
      values: [
        { value: 'add', result: 'ResNet-110, 1.7M parameters: 6.41%' },
        { value: 'concat', result: 'DenseNet-BC (L=100, k=12), 0.8M parameters: 4.51%' },
      ],
    },
    // DenseNet keeps every concatenation for the backward pass: at batch 64 its 100 layers need more
    // than the 4 GiB a wasm heap can hold (about 3 GB at batch 32, measured), so both arms run at 32.
    recipe: `resnet20 (269k parameters) against DenseNet-BC-100 with growth rate 7 (268k parameters), 150 steps of Adam at batch 32 (4,800 images, about half an epoch) on ${DATA}: DenseNet's 100 layers need about 3 GB of the wasm heap at batch 32 and more than its 4 GiB at 64, and train at about 15 images/s on one thread.`,
    base: base('resnet20', {}, { batchSize: 32, maxSteps: 150 }),
  },
  {
    name: 'se-on-off',
    title: 'Squeeze-and-excitation on and off',
    titleZhCN: '挤压-激励开与关',
    family: 'SENet',
    paper: 'Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018',
    vary: { field: 'se', values: [false, true] },
    claims: [
      {
        better: true,
        worse: false,
        en: 'Squeeze-and-excitation blocks improve accuracy for a small increase in parameters and computation.',
        zhCN: '挤压-激励模块以很小的参数和计算增加换来更高的精度。',
      },
    ],
    figure: {
      source: 'Hu et al. 2018, Table 2 (ImageNet top-1 error, single crop)',
      values: [
        { value: false, result: 'ResNet-50: 24.80%' },
        { value: true, result: 'SE-ResNet-50: 23.29%' },
      ],
    },
    recipe: `resnet20 with and without SE (reduction 4, since its blocks have 16 to 64 channels), one epoch of Adam on ${DATA}.`,
    base: base('resnet20', { seReduction: 4 }),
  },
  {
    name: 'label-smoothing',
    title: 'Label smoothing on and off',
    titleZhCN: '标签平滑开与关',
    family: 'Inception',
    paper: 'Szegedy, Vanhoucke, Ioffe, Shlens, Wojna, "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, §7',
    vary: { field: 'labelSmoothing', values: [0, 0.1] },
    claims: [
      {
        better: 0.1,
        worse: 0,
        en: 'Label smoothing (ε = 0.1) regularizes the classifier and improves accuracy slightly.',
        zhCN: '标签平滑（ε = 0.1）对分类器起正则化作用，略微提高精度。',
      },
    ],
    figure: {
      source: 'Szegedy et al. 2016, §7 (ILSVRC-2012)',
      values: [
        { value: 0, result: 'baseline' },
        { value: 0.1, result: 'about 0.2% lower top-1 and top-5 error' },
      ],
    },
    recipe: `resnet20 with ε = 0 and 0.1, two epochs of Adam on ${DATA}. The paper's gain is 0.2 points on ImageNet; expect "no difference beyond noise" at this scale unless you add seeds.`,
    base: base('resnet20', {}, { epochs: 2 }),
  },
  {
    name: 'cardinality',
    title: 'Cardinality: ResNeXt 32×4d against ResNet 1×64d',
    titleZhCN: '基数：ResNeXt 32×4d 对比 ResNet 1×64d',
    family: 'ResNeXt',
    paper: 'Xie, Girshick, Dollár, Tu, He, "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017, §5.1',
    vary: { field: 'cardinality', values: ['1x64d', '32x4d'] },
    arms: {
      '1x64d': { modelOptions: { cardinality: 1, baseWidth: 64 } },
      '32x4d': { modelOptions: { cardinality: 32, baseWidth: 4 } },
    },
    claims: [
      {
        better: '32x4d',
        worse: '1x64d',
        en: 'At the same parameters and computation, more groups of narrower paths (higher cardinality) give better accuracy than a wider single path.',
        zhCN: '在参数量和计算量相同时，更多更窄的分组路径（更高的基数）比单一更宽的路径精度更高。',
      },
    ],
    figure: {
      source: 'Xie et al. 2017, Table 3 (ImageNet-1K top-1 error)',
      values: [
        { value: '1x64d', result: 'ResNet-50: 23.9%' },
        { value: '32x4d', result: 'ResNeXt-50: 22.2%' },
      ],
    },
    recipe: `ResNeXt-50 with smallInput at ¼ width, 1×64d (1.48M parameters) against 32×4d (1.45M), one epoch of Adam on ${DATA}.`,
    base: base('resnext50_32x4d', { smallInput: true, widthMultiplier: 0.25 }),
  },
  {
    name: 'aux-heads',
    title: 'Auxiliary classifiers on and off (GoogLeNet)',
    titleZhCN: '辅助分类器开与关（GoogLeNet）',
    family: 'GoogLeNet',
    paper: 'Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, §5',
    vary: { field: 'auxHeads', values: [false, true] },
    claims: [
      {
        better: true,
        worse: false,
        en: 'Auxiliary classifiers on intermediate layers help the gradient reach the lower layers and add regularization; the paper measured a small gain.',
        zhCN: '中间层上的辅助分类器帮助梯度传到底层，并起正则化作用；论文测得的提升很小。',
      },
    ],
    figure: {
      source: 'Szegedy et al. 2015, §5, and Szegedy et al. 2016 (Inception v3), §4',
      values: [
        { value: false, result: 'baseline' },
        { value: true, result: 'about 0.5% better (Inception v3 paper: no faster early training, slightly better at the end)' },
      ],
    },
    recipe: `GoogLeNet with smallInput at ¼ width, auxiliary heads weighted 0.3, one epoch of Adam on ${DATA}.`,
    base: base('googlenet', { smallInput: true, widthMultiplier: 0.25 }),
  },
];

export function findBuiltin(name: string): BuiltinDefinition | undefined {
  return BUILTIN_EXPERIMENTS.find((b) => b.name === name);
}

export function builtinInfo(definition: BuiltinDefinition, seeds: number): BuiltinExperiment {
  const { base: _base, arms: _arms, metric: _metric, ...info } = definition;
  return { ...info, runs: definition.vary.values.length * seeds };
}
