import { describeModels } from './model-suite';

describeModels((meta) => ['ResNet', 'ResNeXt', 'SENet'].includes(meta.family));
