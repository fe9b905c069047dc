export {};
export * from './crc32c';
export * from './records';
export * from './compression';
