export * from './ports';
export * from './probe';
export * from './node';
export * from './cluster';
export * from './build';
export * from './link-proxy';
export * from './network';
