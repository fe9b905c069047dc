export * from './schema';
export { compileStruct, structDefaults } from './compile';
export type { StructCodec } from './compile';
export * from './messages';
