// Test helpers: temp dirs and record batches built with the protocol library's encoder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRecordBatch, encodeRecordBatch, splitRecordBatches } from '@runnel/protocol';
import type { ReadResult } from '../partition-log';

export function tempDir(prefix = 'runnel-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmrf(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface Rec {
  key?: string | null;
  value?: string | null;
  timestamp?: number;
}

/** One batch; offsets are assigned by the log on append. */
export function batch(records: Rec[], opts: { compression?: number; baseOffset?: number; epoch?: number } = {}): Buffer {
  return encodeRecordBatch({
    baseOffset: opts.baseOffset ?? 0,
    partitionLeaderEpoch: opts.epoch ?? -1,
    compression: opts.compression,
    records: records.map((r) => ({ key: r.key ?? null, value: r.value === undefined ? 'v' : r.value, timestamp: r.timestamp ?? 1_700_000_000_000 })),
  });
}

/** A batch of `n` records whose values are `prefix-i`, padded to make the batch roughly `size` bytes. */
export function sizedBatch(n: number, size: number, ts = 1_700_000_000_000, prefix = 'r'): Buffer {
  const pad = Math.max(0, Math.floor(size / n) - 20);
  const fill = 'x'.repeat(pad);
  return encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: `${prefix}-${i}-${fill}`, timestamp: ts })) });
}

export interface FlatRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

export function decodeAll(chunks: Buffer[]): FlatRecord[] {
  const out: FlatRecord[] = [];
  for (const c of chunks) {
    for (const v of splitRecordBatches(c)) {
      const b = decodeRecordBatch(v);
      for (const r of b.records) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, timestamp: r.timestamp });
    }
  }
  return out;
}

/** Reads the whole log from `from` in steps of maxBytes. */
export async function readAll(log: { read(o: number, m: number): Promise<ReadResult>; logEndOffset: number }, from: number, maxBytes = 64 * 1024): Promise<FlatRecord[]> {
  const out: FlatRecord[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, maxBytes);
    if (r.bytes === 0) break;
    out.push(...decodeAll(r.chunks).filter((x) => x.offset >= offset));
    offset = r.nextOffset;
  }
  return out;
}
