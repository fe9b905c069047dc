export * from './registry';
export * from './server';
export * from './metrics.module';
export * from './parse';
