// Kafka's replication-offset-checkpoint: each log dir keeps the high watermarks of its partitions, written
// atomically every replica.high.watermark.checkpoint.interval.ms and on shutdown. After a restart a replica that
// becomes leader serves consumers up to this mark at once instead of nothing until its followers report in; it
// never serves beyond what was committed before.
import * as path from 'node:path';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from '@runnel/storage';
import type { Partition } from './partition';

export const HIGH_WATERMARK_CHECKPOINT = 'replication-offset-checkpoint';

export class HighWatermarkCheckpoint {
  private readonly byDir = new Map<string, Map<string, number>>();

  constructor(private readonly logDirs: readonly string[]) {
    for (const d of logDirs) {
      try {
        this.byDir.set(path.resolve(d), readOffsetCheckpoint(path.join(d, HIGH_WATERMARK_CHECKPOINT)));
      } catch {
        // A damaged checkpoint only costs the head start: replicas begin at their log start.
        this.byDir.set(path.resolve(d), new Map());
      }
    }
  }

  /** The checkpointed high watermark of a partition whose log lives in `logDir`, or -1. */
  get(partitionDir: string, key: string): number {
    return this.byDir.get(path.resolve(path.dirname(partitionDir)))?.get(key) ?? -1;
  }

  async write(partitions: Iterable<Partition>): Promise<void> {
    const entries = new Map<string, Array<{ topic: string; partition: number; offset: number }>>();
    for (const d of this.logDirs) entries.set(path.resolve(d), []);
    for (const p of partitions) {
      const dir = path.resolve(path.dirname(p.log.dir));
      const list = entries.get(dir);
      if (list && !p.log.isClosed) list.push({ topic: p.topic, partition: p.partition, offset: p.highWatermark });
    }
    for (const [dir, list] of entries) {
      await writeOffsetCheckpoint(path.join(dir, HIGH_WATERMARK_CHECKPOINT), list);
      this.byDir.set(dir, new Map(list.map((e) => [`${e.topic}-${e.partition}`, e.offset])));
    }
  }
}
