// @runnel/storage: segmented partition logs in Kafka's on-disk layout.
export * from './config';
export * from './errors';
export * from './checkpoint';
export * from './epoch-cache';
export * from './indexes';
export * from './buffer-pool';
export { LogSegment, SegmentCache, scanSegment } from './segment';
export type { ScanResult, ScanOptions } from './segment';
export * from './partition-log';
export * from './cleaner';
export * from './log-manager';
export {
  offsetFileName,
  partitionDirName,
  parsePartitionDirName,
  writeFileAtomic,
  writeFileAtomicSync,
  LEADER_EPOCH_CHECKPOINT,
  RECOVERY_POINT_CHECKPOINT,
  LOG_START_OFFSET_CHECKPOINT,
  CLEANER_OFFSET_CHECKPOINT,
  REPLICATION_OFFSET_CHECKPOINT,
} from './files';
