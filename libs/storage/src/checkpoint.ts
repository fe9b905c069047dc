// Kafka's text checkpoint files. Both kinds are "version\ncount\n" followed by one entry per line:
//   offset checkpoints (recovery-point-offset-checkpoint, log-start-offset-checkpoint, cleaner-offset-checkpoint,
//   replication-offset-checkpoint), one per log dir:   "<topic> <partition> <offset>"
//   leader-epoch-checkpoint, one per partition dir:    "<epoch> <startOffset>"
// Writes go through a temp file + fsync + rename, so a crash leaves the old or the new file, never a torn one.
import * as fs from 'node:fs';
import { writeFileAtomic, writeFileAtomicSync } from './files';

const VERSION = 0;

export class CheckpointError extends Error {
  constructor(file: string, reason: string) {
    super(`Malformed checkpoint file ${file}: ${reason}`);
    this.name = 'CheckpointError';
  }
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

function parseLines(file: string, text: string, fields: number): string[][] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2) throw new CheckpointError(file, 'missing version or count line');
  const version = Number(lines[0]);
  if (version !== VERSION) throw new CheckpointError(file, `unrecognised version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new CheckpointError(file, `bad entry count ${lines[1]}`);
  if (lines.length - 2 !== count) throw new CheckpointError(file, `expected ${count} entries, found ${lines.length - 2}`);
  const out: string[][] = [];
  for (let i = 2; i < lines.length; i++) {
    const parts = lines[i].split(' ');
    // Topic names cannot contain spaces, so the split is unambiguous.
    if (parts.length !== fields) throw new CheckpointError(file, `bad line ${i + 1}: ${JSON.stringify(lines[i])}`);
    out.push(parts);
  }
  return out;
}

function num(file: string, s: string): number {
  if (!/^-?\d+$/.test(s)) throw new CheckpointError(file, `not an integer: ${s}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new CheckpointError(file, `out of range: ${s}`);
  return n;
}

export function formatOffsetCheckpoint(entries: Iterable<TopicPartitionOffset>): string {
  const list = [...entries];
  let s = `${VERSION}\n${list.length}\n`;
  for (const e of list) s += `${e.topic} ${e.partition} ${e.offset}\n`;
  return s;
}

export function parseOffsetCheckpoint(file: string, text: string): TopicPartitionOffset[] {
  return parseLines(file, text, 3).map(([topic, p, o]) => ({ topic, partition: num(file, p), offset: num(file, o) }));
}

/** Reads an offset checkpoint; a missing file is an empty map. Keys are `<topic>-<partition>`. */
export function readOffsetCheckpoint(file: string): Map<string, number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  const m = new Map<string, number>();
  for (const e of parseOffsetCheckpoint(file, text)) m.set(`${e.topic}-${e.partition}`, e.offset);
  return m;
}

export function writeOffsetCheckpointSync(file: string, entries: Iterable<TopicPartitionOffset>): void {
  writeFileAtomicSync(file, formatOffsetCheckpoint(entries));
}

export function writeOffsetCheckpoint(file: string, entries: Iterable<TopicPartitionOffset>): Promise<void> {
  return writeFileAtomic(file, formatOffsetCheckpoint(entries));
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  let s = `${VERSION}\n${entries.length}\n`;
  for (const e of entries) s += `${e.epoch} ${e.startOffset}\n`;
  return s;
}

export function parseEpochCheckpoint(file: string, text: string): EpochEntry[] {
  return parseLines(file, text, 2).map(([e, o]) => ({ epoch: num(file, e), startOffset: num(file, o) }));
}

export function readEpochCheckpoint(file: string): EpochEntry[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseEpochCheckpoint(file, text);
}

export function writeEpochCheckpointSync(file: string, entries: readonly EpochEntry[]): void {
  writeFileAtomicSync(file, formatEpochCheckpoint(entries));
}
