/**
 * Paper recipes: for each family, the training recipe of its paper as a one-click preset, next to a
 * laptop-scale version of it (32×32 images, batch 64, about 30 epochs, the learning rate scaled
 * linearly with the batch size as Goyal et al. 2017 do, and the schedule's milestones kept at the
 * same fractions of training). A run started from a preset records the preset's name and the
 * fields the user changed (TrainConfig.preset).
 *
 * Where a paper leaves a value out, the recipe says where its value comes from (`notes`).
 */
import { AUGMENT_DEFAULTS, changedFromRecipe, withoutUnreadOptimizerFields, type AugmentOptionsInput, type Recipe, type RecipeConfig, type TrainConfigInput } from '../contract';

const LAPTOP_DATA = 'your images at 32×32 (28 to 64 px work), e.g. CIFAR-10; ImageNet families use smallInput';
const CIFAR_AUGMENTATION = ['random crop 32×32 from the image padded by 4 pixels', 'horizontal flip'];
const IMAGENET_AUGMENTATION = ['random resized crop (8%–100% of the area, aspect 3/4–4/3) to 224×224', 'horizontal flip', 'colour (lighting) jitter'];
/**
 * What the pipeline runs of those words: the padded crop, the flip and the random resized crop. A
 * paper's colour noise is left out (each paper's differs from the pipeline's jitter), and so is a
 * plain random crop of a larger image (the pipeline crops at the input size).
 */
const CIFAR_AUGMENT: AugmentOptionsInput = { randomCrop: AUGMENT_DEFAULTS.randomCrop, horizontalFlip: true };
const IMAGENET_AUGMENT: AugmentOptionsInput = { randomResizedCrop: AUGMENT_DEFAULTS.randomResizedCrop, horizontalFlip: true };
const FLIP_AUGMENT: AugmentOptionsInput = { horizontalFlip: true };

function paper(recipe: Omit<Recipe, 'scale'>): Recipe {
  return { ...recipe, scale: 'paper' };
}

function laptop(recipe: Omit<Recipe, 'scale' | 'data'> & { data?: string }): Recipe {
  return { data: LAPTOP_DATA, ...recipe, scale: 'laptop' };
}

/**
 * The whole-run preset of issue 11: the full Fashion-MNIST (Debian's dataset-fashion-mnist or the
 * catalog, imported as "fashion-mnist") in a 15-minute budget on two cores of WebAssembly. A VGG-11
 * with batch norm at ⅛ width and the 3×3 stem trains several times faster per image than resnet20
 * here (fewer, wider ops for the same multiply-adds), so more epochs fit; one-cycle with momentum and
 * weight decay, scaled by the budget to the epochs that fit.
 */
export const FASHION_MNIST_PRESET: Recipe = laptop({
  name: 'fashion-mnist-15min',
  family: 'VGG',
  title: 'Fashion-MNIST in 15 minutes (VGG-11-BN, ⅛ width)',
  paper: 'after Simonyan & Zisserman 2015 and Ioffe & Szegedy 2015; one-cycle after Smith & Topin 2019',
  models: ['vgg11_bn'],
  data: 'the full Fashion-MNIST (60,000 + 10,000, 28×28): cvb data import /usr/share/datasets/fashion-mnist, or the catalog',
  config: {
    epochs: 30, batchSize: 128, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 5e-4,
    schedule: { type: 'onecycle', pctStart: 0.25, divFactor: 25, finalDivFactor: 1e4 }, maxMinutes: 15,
  },
  augmentation: ['horizontal flip'],
  augment: FLIP_AUGMENT,
  notes: 'Thirty epochs is the upper bound: the 15-minute budget times the first steps and keeps the whole epochs that fit (6 or 7 on two cores here), the one-cycle schedule scaled to them. Batch 128 amortises the per-op cost of WebAssembly.',
  run: { model: 'vgg11_bn', modelOptions: { smallInput: true, widthMultiplier: 0.125 }, dataset: 'fashion-mnist' },
  measured: 'Measured on a 2-core machine with 2 threads, seeds 1 to 3: 92.79–92.86% test accuracy (mean 92.82%) after 10 to 12.5 minutes of training.',
});

export const RECIPES: Recipe[] = [
  FASHION_MNIST_PRESET,
  paper({
    name: 'alexnet-paper',
    family: 'AlexNet',
    title: 'AlexNet, as in the paper',
    paper: 'Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural Networks", NIPS 2012, §5',
    models: ['alexnet'],
    data: 'ImageNet (ILSVRC-2012), 224×224 crops of 256×256 images',
    config: { epochs: 90, batchSize: 128, learningRate: 0.01, optimizer: 'momentum', momentum: 0.9, weightDecay: 5e-4, schedule: { type: 'multistep', milestones: [30, 60, 80], gamma: 0.1 } },
    augmentation: ['random 224×224 crops of the 256×256 image', 'horizontal flip', 'PCA colour (lighting) noise, σ = 0.1'],
    augment: FLIP_AUGMENT,
    notes: 'The paper divided the rate by 10 by hand when validation error stopped improving, three times in about 90 epochs; fixed milestones stand in for that. Dropout 0.5 in the first two fully connected layers (a model switch).',
  }),
  laptop({
    name: 'alexnet-laptop',
    family: 'AlexNet',
    title: 'AlexNet, laptop scale',
    paper: 'after Krizhevsky et al. 2012',
    models: ['alexnet'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.005, optimizer: 'momentum', momentum: 0.9, weightDecay: 5e-4, schedule: { type: 'multistep', milestones: [10, 20, 27], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Learning rate halved with the batch (128 → 64); milestones at the paper\'s fractions of training. Build with smallInput for 32×32 images.',
  }),
  paper({
    name: 'vgg-paper',
    family: 'VGG',
    title: 'VGG, as in the paper',
    paper: 'Simonyan, Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015, §3.1',
    models: ['vgg*'],
    data: 'ImageNet (ILSVRC-2012), 224×224 crops, training scale S jittered in [256, 512]',
    config: { epochs: 74, batchSize: 256, learningRate: 0.01, optimizer: 'momentum', momentum: 0.9, weightDecay: 5e-4, schedule: { type: 'multistep', milestones: [30, 50, 65], gamma: 0.1 } },
    augmentation: ['random 224×224 crops of the rescaled image (scale jittering)', 'horizontal flip', 'random RGB colour shift'],
    augment: FLIP_AUGMENT,
    notes: 'Rate divided by 10 three times when validation accuracy stopped improving, training ended after 74 epochs; fixed milestones stand in for the plateaus. Dropout 0.5 in the first two fully connected layers.',
  }),
  laptop({
    name: 'vgg-laptop',
    family: 'VGG',
    title: 'VGG, laptop scale',
    paper: 'after Simonyan & Zisserman 2015',
    models: ['vgg*'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.0025, optimizer: 'momentum', momentum: 0.9, weightDecay: 5e-4, schedule: { type: 'multistep', milestones: [12, 20, 26], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Learning rate scaled with the batch (256 → 64). The _bn variants also train well at 0.05 with a cosine schedule.',
  }),
  paper({
    name: 'googlenet-paper',
    family: 'GoogLeNet',
    title: 'GoogLeNet, as in the paper',
    paper: 'Szegedy et al., "Going Deeper with Convolutions", CVPR 2015, §6',
    models: ['googlenet'],
    data: 'ImageNet (ILSVRC-2014), 224×224',
    config: { epochs: 60, batchSize: 32, learningRate: 0.01, optimizer: 'momentum', momentum: 0.9, weightDecay: 2e-4, schedule: { type: 'step', stepEpochs: 8, gamma: 0.96 }, auxLossWeight: 0.3 },
    augmentation: IMAGENET_AUGMENTATION.concat(['photometric distortions (Howard 2013)']),
    augment: IMAGENET_AUGMENT,
    notes: 'The paper states momentum 0.9, the rate decreased by 4% every 8 epochs and auxiliary losses weighted 0.3; learning rate, batch size, weight decay and length are not given and follow the BVLC Caffe reproduction.',
  }),
  laptop({
    name: 'googlenet-laptop',
    family: 'GoogLeNet',
    title: 'GoogLeNet, laptop scale',
    paper: 'after Szegedy et al. 2015',
    models: ['googlenet'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.02, optimizer: 'momentum', momentum: 0.9, weightDecay: 2e-4, schedule: { type: 'step', stepEpochs: 2, gamma: 0.9 }, auxLossWeight: 0.3 },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'The paper\'s slow exponential decay compressed to 30 epochs (×0.9 every 2 epochs); rate scaled with the batch (32 → 64).',
  }),
  paper({
    name: 'inception-v3-paper',
    family: 'GoogLeNet',
    title: 'Inception v3, as in the paper',
    paper: 'Szegedy et al., "Rethinking the Inception Architecture for Computer Vision", CVPR 2016, §8 and §7',
    models: ['inception_v3'],
    data: 'ImageNet (ILSVRC-2012), 299×299',
    config: {
      epochs: 100, batchSize: 32, learningRate: 0.045, optimizer: 'rmsprop', epsilon: 1.0, weightDecay: 4e-5,
      schedule: { type: 'step', stepEpochs: 2, gamma: 0.94 }, gradClipNorm: 2.0, labelSmoothing: 0.1, auxLossWeight: 0.4,
    },
    augmentation: ['random resized crop to 299×299', 'horizontal flip', 'colour distortions'],
    augment: IMAGENET_AUGMENT,
    notes: 'RMSProp with decay 0.9 and ε = 1.0, rate 0.045 decayed by 0.94 every two epochs, gradient clipping at 2.0 and label smoothing 0.1 are the paper\'s; it trained on 50 replicas of batch 32. Weight decay 4e-5 and 100 epochs follow the TF-slim reproduction.',
  }),
  laptop({
    name: 'inception-v3-laptop',
    family: 'GoogLeNet',
    title: 'Inception v3, laptop scale',
    paper: 'after Szegedy et al. 2016',
    models: ['inception_v3'],
    config: {
      epochs: 30, batchSize: 64, learningRate: 0.045, optimizer: 'rmsprop', epsilon: 1.0, weightDecay: 4e-5,
      schedule: { type: 'step', stepEpochs: 1, gamma: 0.9 }, gradClipNorm: 2.0, labelSmoothing: 0.1, auxLossWeight: 0.4,
    },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'The decay compressed to 30 epochs; with ε = 1 RMSProp behaves close to momentum SGD, so the rate is kept.',
  }),
  paper({
    name: 'resnet-imagenet-paper',
    family: 'ResNet',
    title: 'ResNet (ImageNet), as in the paper',
    paper: 'He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, §3.4',
    models: ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'],
    data: 'ImageNet (ILSVRC-2012), 224×224 crops, shorter side resized in [256, 480]',
    config: { epochs: 90, batchSize: 256, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [30, 60], gamma: 0.1 } },
    augmentation: ['scale augmentation: shorter side in [256, 480], random 224×224 crop', 'horizontal flip', 'standard colour augmentation'],
    augment: FLIP_AUGMENT,
    notes: 'The paper divided the rate by 10 on plateaus and trained 60×10⁴ iterations (about 120 epochs); the 90-epoch, /10 at 30 and 60 schedule is the torchvision reference that reproduces it.',
  }),
  laptop({
    name: 'resnet-imagenet-laptop',
    family: 'ResNet',
    title: 'ResNet (ImageNet variants), laptop scale',
    paper: 'after He et al. 2016',
    models: ['resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.025, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [10, 20], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate scaled with the batch (256 → 64); build with smallInput for 32×32 images.',
  }),
  paper({
    name: 'resnet-cifar-paper',
    family: 'ResNet',
    title: 'ResNet (CIFAR-10), as in the paper',
    paper: 'He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, §4.2',
    models: ['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110'],
    data: 'CIFAR-10, 32×32, per-pixel mean subtracted',
    config: { epochs: 164, batchSize: 128, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [82, 123], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate divided by 10 at 32k and 48k iterations, stopped at 64k: at 391 iterations per epoch that is epochs 82, 123 and 164. For resnet110 the paper warmed up at 0.01 until training error fell below 80% (about 400 iterations); set warmupEpochs 1 for a linear stand-in.',
  }),
  laptop({
    name: 'resnet-cifar-laptop',
    family: 'ResNet',
    title: 'ResNet (CIFAR-10), laptop scale',
    paper: 'after He et al. 2016, §4.2',
    models: ['resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110'],
    data: 'CIFAR-10 or your images at 32×32',
    config: { epochs: 30, batchSize: 64, learningRate: 0.05, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [15, 23], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate scaled with the batch (128 → 64); milestones at the paper\'s 50% and 75% of training.',
  }),
  paper({
    name: 'resnext-paper',
    family: 'ResNeXt',
    title: 'ResNeXt, as in the paper',
    paper: 'Xie, Girshick, Dollár, Tu, He, "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017, §5.1',
    models: ['resnext50_32x4d', 'resnext101_32x8d'],
    data: 'ImageNet (ILSVRC-2012), 224×224',
    config: { epochs: 100, batchSize: 256, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [30, 60, 90], gamma: 0.1 } },
    augmentation: IMAGENET_AUGMENTATION,
    augment: IMAGENET_AUGMENT,
    notes: 'Momentum 0.9, weight decay 1e-4, batch 256 on 8 GPUs, rate 0.1 divided by 10 three times, as the fb.resnet.torch schedule the paper follows.',
  }),
  laptop({
    name: 'resnext-laptop',
    family: 'ResNeXt',
    title: 'ResNeXt, laptop scale',
    paper: 'after Xie et al. 2017',
    models: ['resnext50_32x4d', 'resnext101_32x8d'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.025, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [9, 18, 27], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate scaled with the batch (256 → 64); build with smallInput and a widthMultiplier below 1 on a laptop.',
  }),
  paper({
    name: 'densenet-cifar-paper',
    family: 'DenseNet',
    title: 'DenseNet-BC (CIFAR), as in the paper',
    paper: 'Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", CVPR 2017, §4.2',
    models: ['densenet_bc_100_k12'],
    data: 'CIFAR-10/100, 32×32, normalised by channel means and standard deviations',
    config: { epochs: 300, batchSize: 64, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [150, 225], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Nesterov momentum 0.9 without dampening, rate divided by 10 at 50% and 75% of 300 epochs. Dropout 0.2 only when training without augmentation.',
  }),
  laptop({
    name: 'densenet-cifar-laptop',
    family: 'DenseNet',
    title: 'DenseNet-BC (CIFAR), laptop scale',
    paper: 'after Huang et al. 2017',
    models: ['densenet_bc_100_k12'],
    data: 'CIFAR-10 or your images at 32×32',
    config: { epochs: 30, batchSize: 64, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [15, 23], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'The paper\'s batch size already; 300 epochs shortened to 30 with the milestones at the same fractions.',
  }),
  paper({
    name: 'densenet-imagenet-paper',
    family: 'DenseNet',
    title: 'DenseNet (ImageNet), as in the paper',
    paper: 'Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", CVPR 2017, §4.2',
    models: ['densenet121', 'densenet161', 'densenet169', 'densenet201'],
    data: 'ImageNet (ILSVRC-2012), 224×224',
    config: { epochs: 90, batchSize: 256, learningRate: 0.1, optimizer: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [30, 60], gamma: 0.1 } },
    augmentation: IMAGENET_AUGMENTATION,
    augment: IMAGENET_AUGMENT,
    notes: 'Batch 256 for 90 epochs, rate divided by 10 at epochs 30 and 60, augmentation as fb.resnet.torch.',
  }),
  laptop({
    name: 'densenet-imagenet-laptop',
    family: 'DenseNet',
    title: 'DenseNet (ImageNet variants), laptop scale',
    paper: 'after Huang et al. 2017',
    models: ['densenet121', 'densenet161', 'densenet169', 'densenet201'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.025, optimizer: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: { type: 'multistep', milestones: [10, 20], gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate scaled with the batch (256 → 64); build with smallInput for 32×32 images.',
  }),
  paper({
    name: 'senet-paper',
    family: 'SENet',
    title: 'SENet, as in the paper',
    paper: 'Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018, §6',
    models: ['seresnet50', 'seresnext50_32x4d'],
    data: 'ImageNet (ILSVRC-2017), 224×224',
    config: { epochs: 100, batchSize: 1024, learningRate: 0.6, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'step', stepEpochs: 30, gamma: 0.1 } },
    augmentation: ['random-size crop to 224×224', 'horizontal flip', 'mean-channel subtraction'],
    augment: FLIP_AUGMENT,
    notes: 'Momentum 0.9, batch 1024, rate 0.6 divided by 10 every 30 epochs, 100 epochs. Weight decay is not stated; 1e-4 is ResNet\'s.',
  }),
  laptop({
    name: 'senet-laptop',
    family: 'SENet',
    title: 'SENet, laptop scale',
    paper: 'after Hu et al. 2018',
    models: ['seresnet50', 'seresnext50_32x4d'],
    config: { epochs: 30, batchSize: 64, learningRate: 0.0375, optimizer: 'momentum', momentum: 0.9, weightDecay: 1e-4, schedule: { type: 'step', stepEpochs: 9, gamma: 0.1 } },
    augmentation: CIFAR_AUGMENTATION,
    augment: CIFAR_AUGMENT,
    notes: 'Rate scaled with the batch (1024 → 64); steps every 9 of 30 epochs as every 30 of 100. Build with smallInput for 32×32 images.',
  }),
];

export function findRecipe(name: string): Recipe | undefined {
  return RECIPES.find((recipe) => recipe.name === name);
}

/**
 * A run's config from a preset: the recipe's fields, then the user's changes on top, with the
 * preset's name and the changed fields recorded in `preset`.
 */
export function configFromRecipe(recipe: Recipe, base: Partial<TrainConfigInput>, changes: Partial<RecipeConfig> = {}): TrainConfigInput {
  const defined = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<RecipeConfig>;
  const training = { ...withoutUnreadOptimizerFields(recipe.config, defined.optimizer ?? recipe.config.optimizer), ...defined };
  const model = base.model ?? recipe.run?.model;
  if (model === undefined) throw new Error(`preset "${recipe.name}" needs a model: it is a training recipe for ${recipe.models.join(', ')}`);
  // A whole-run preset brings its model's switches and its dataset; the user's own win.
  const run = recipe.run && recipe.run.model === model ? recipe.run : undefined;
  const modelOptions = { ...(run?.modelOptions ?? {}), ...(base.modelOptions ?? {}) };
  const dataset = base.dataset ?? recipe.run?.dataset;
  return {
    ...base,
    model,
    ...(dataset !== undefined ? { dataset } : {}),
    modelOptions,
    ...training,
    augmentation: recipe.augment,
    preset: { name: recipe.name, changed: changedFromRecipe(recipe.config, training) },
  };
}
