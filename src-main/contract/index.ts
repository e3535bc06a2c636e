export * from './schemas';
export * from './api';
export * from './models';
export * from './host-paths';
export * from './jobs';
