// The leader-epoch -> start-offset cache behind OffsetForLeaderEpoch, persisted in the partition's
// leader-epoch-checkpoint on every change (changes happen once per leadership change, so the fsync is rare).
import * as path from 'node:path';
import { CheckpointError, EpochEntry, readEpochCheckpoint, writeEpochCheckpointSync } from './checkpoint';
import { LEADER_EPOCH_CHECKPOINT } from './files';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly file: string | null;

  constructor(dir: string | null, entries?: EpochEntry[]) {
    this.file = dir === null ? null : path.join(dir, LEADER_EPOCH_CHECKPOINT);
    this.entries = entries ?? (this.file ? readEpochsTolerant(this.file) : []);
    // Keep only a strictly increasing prefix-consistent list; a hand-edited file must not break lookups.
    this.entries = this.entries.filter((e, i, a) => i === 0 || (e.epoch > a[i - 1].epoch && e.startOffset > a[i - 1].startOffset));
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1].epoch : UNDEFINED_EPOCH;
  }

  get earliest(): EpochEntry | undefined {
    return this.entries[0];
  }

  /** Records that `epoch` starts at `startOffset`; later-or-conflicting entries are replaced (Kafka's rule). */
  assign(epoch: number, startOffset: number, persist = true): void {
    if (epoch < 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last && last.epoch === epoch) return;
    if (last === undefined || (last.epoch < epoch && last.startOffset < startOffset)) {
      this.entries.push({ epoch, startOffset });
    } else {
      this.entries = this.entries.filter((e) => e.epoch < epoch && e.startOffset < startOffset);
      this.entries.push({ epoch, startOffset });
    }
    if (persist) this.persist();
  }

  /** After truncateTo(endOffset): epochs that started at or after it are gone. */
  truncateFromEnd(endOffset: number): void {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
    if (this.entries.length !== before) this.persist();
  }

  /** After the log start moved to `startOffset`: the epoch covering it now starts there. */
  truncateFromStart(startOffset: number): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1].startOffset <= startOffset) i++;
    const first = this.entries[i];
    if (!first) return;
    if (i === 0 && first.startOffset >= startOffset) return;
    this.entries = this.entries.slice(i);
    if (this.entries[0].startOffset < startOffset) this.entries[0] = { epoch: first.epoch, startOffset };
    this.persist();
  }

  /**
   * OffsetForLeaderEpoch: the largest epoch <= requested and the offset where the next higher epoch starts (or
   * the log end offset for the latest epoch). Unknown (too new) epochs give (-1, -1); epochs older than the first
   * entry give (requested, start of the first entry).
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): { epoch: number; endOffset: number } {
    if (requestedEpoch === UNDEFINED_EPOCH || this.entries.length === 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const latest = this.entries[this.entries.length - 1];
    if (requestedEpoch === latest.epoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    if (requestedEpoch > latest.epoch) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    // first entry with epoch > requested
    let hi = 0;
    while (hi < this.entries.length && this.entries[hi].epoch <= requestedEpoch) hi++;
    const higher = this.entries[hi];
    if (hi === 0) return { epoch: requestedEpoch, endOffset: higher.startOffset };
    return { epoch: this.entries[hi - 1].epoch, endOffset: higher.startOffset };
  }

  /** Epoch of the batch that holds `offset`, or -1. */
  epochForOffset(offset: number): number {
    let e = UNDEFINED_EPOCH;
    for (const x of this.entries) {
      if (x.startOffset > offset) break;
      e = x.epoch;
    }
    return e;
  }

  clear(): void {
    if (this.entries.length === 0) return;
    this.entries = [];
    this.persist();
  }

  persist(): void {
    if (this.file) writeEpochCheckpointSync(this.file, this.entries);
  }
}

/** A damaged checkpoint must not keep the log from opening: start empty; recovery re-learns epochs it scans. */
function readEpochsTolerant(file: string): EpochEntry[] {
  try {
    return readEpochCheckpoint(file);
  } catch (e) {
    if (e instanceof CheckpointError) return [];
    throw e;
  }
}
