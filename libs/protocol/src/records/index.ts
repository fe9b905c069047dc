export * from './record-batch-view';
export * from './record-batch';
export * from './control';
