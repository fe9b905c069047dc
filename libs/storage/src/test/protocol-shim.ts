// The parts of @runnel/protocol the storage library uses, for the crash-test child (loading the whole protocol
// library, with every generated message, through transpileModule would cost seconds per child start).
export * from '../../../protocol/src/records';
export * from '../../../protocol/src/crc32c';
