export * from './compression';
export { lz4FrameBound, zstdFrameBound } from './bounds';
export { isXerialFramed, XERIAL_MAGIC, XERIAL_CHUNK_SIZE } from './snappy-xerial';
