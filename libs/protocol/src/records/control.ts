// Control records (batches with the control flag): transaction markers and the KRaft control records.
// A control record's key is { version: int16, type: int16 }; a transaction marker's value is
// { version: int16, coordinatorEpoch: int32 } (EndTxnMarker).
import { corrupt } from './fail';
import { encodeRecordBatch } from './record-batch';

export const ControlRecordType = {
  Abort: 0,
  Commit: 1,
  LeaderChange: 2,
  SnapshotHeader: 3,
  SnapshotFooter: 4,
  KRaftVersion: 5,
  KRaftVoters: 6,
} as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export function encodeControlRecordKey(type: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt16BE(version, 0);
  b.writeInt16BE(type, 2);
  return b;
}

export function decodeControlRecordKey(key: Buffer | null): { version: number; type: number } {
  if (key === null || key.length < 4) corrupt('control record key is missing or shorter than 4 bytes');
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) };
}

export function encodeEndTxnMarkerValue(coordinatorEpoch: number, version = 0): Buffer {
  const b = Buffer.allocUnsafe(6);
  b.writeInt16BE(version, 0);
  b.writeInt32BE(coordinatorEpoch, 2);
  return b;
}

export function decodeEndTxnMarkerValue(value: Buffer | null): { version: number; coordinatorEpoch: number } {
  if (value === null || value.length < 6) corrupt('transaction marker value is missing or shorter than 6 bytes');
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) };
}

export interface EndTxnMarkerInput {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch: number;
  timestamp?: number;
  baseOffset?: number;
  partitionLeaderEpoch?: number;
}

/** A transactional control batch holding one COMMIT or ABORT marker, as WriteTxnMarkers appends it. */
export function encodeEndTxnMarkerBatch(m: EndTxnMarkerInput): Buffer {
  return encodeRecordBatch({
    baseOffset: m.baseOffset ?? 0,
    partitionLeaderEpoch: m.partitionLeaderEpoch,
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    isTransactional: true,
    isControl: true,
    records: [
      {
        key: encodeControlRecordKey(m.commit ? ControlRecordType.Commit : ControlRecordType.Abort),
        value: encodeEndTxnMarkerValue(m.coordinatorEpoch),
        timestamp: m.timestamp ?? Date.now(),
      },
    ],
  });
}
