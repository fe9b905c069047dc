export * from './records';
export * from './image';
export * from './topic-names';
export * from './replay';
export * from './snapshot';
