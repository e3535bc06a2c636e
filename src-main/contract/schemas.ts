/**
 * The contract's domain schemas, one file per domain; this barrel keeps `./schemas` importable as
 * one module.
 */
export * from './ids';
export * from './system';
export * from './training-config';
export * from './recipes';
export * from './metrics';
export * from './runs';
export * from './evaluation';
export * from './datasets';
export * from './inference';
export * from './rules';
