/**
 * The model zoo: importing this module registers every family (side effect of each family
 * file) and re-exports the registry, the inspector and the shared parts other folders need.
 */
import './alexnet';
import './vgg';
import './resnet';
import './densenet';
import './googlenet';
import './inception';

export * from './registry';
export { inspectModel, modelParamCount, type ModelInspection, type InspectOptions } from './inspect';
export { endsInSoftmax, outputLossWeights, type ModelMetadata } from './network';
export { ModelOptionError, type SwitchSpec, type SwitchSpecs } from './options';
export { InputTooSmallError } from './layers/graph';
export { GroupedConv2D } from './layers/grouped-conv';
export { LocalResponseNormalization } from './layers/lrn';
export { ChannelPad } from './layers/channel-pad';
