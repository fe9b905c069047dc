export * from './errors';
export * from './properties';
export * from './def';
export * from './listeners';
export * from './broker-defs';
export * from './topic-defs';
export * from './kafka-config';
export * from './topic-config';
