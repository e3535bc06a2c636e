export * from './schemas';
export * from './api';
export * from './models';
export * from './experiments';
export * from './statistics';
export * from './csv';
export * from './host-paths';
export * from './jobs';
