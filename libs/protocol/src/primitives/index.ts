export { Reader } from './reader';
export { Writer, sizeOfUvarint } from './writer';
export { ZERO_UUID, uuidToString, uuidToBytes, writeUuid, randomUuid } from './uuid';
export { readTaggedFields, writeTaggedFields } from './tagged-fields';
export type { RawTaggedField } from './tagged-fields';
