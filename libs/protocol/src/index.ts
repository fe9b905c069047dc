export {};
export * from './crc32c';
