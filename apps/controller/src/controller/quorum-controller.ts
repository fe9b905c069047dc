import { MetadataImage, MetadataRecord, replayMetadataBatches } from '@runnel/metadata';
import { NotLeaderError, RaftClient } from '../raft/raft-client';
import { createLogger } from '../util/logger';

/** metadata.version feature level we write on a fresh log (Kafka 3.9-IV0). */
export const METADATA_VERSION_LEVEL = 21;

/** Raised by write operations with a Kafka error code, so handlers can answer with it. */
export class ControllerError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export interface WriteResult<T> {
  records: MetadataRecord[];
  result: T;
}

export interface ControllerEvents {
  onCommitLatency?(seconds: number): void;
  onApplied?(image: MetadataImage): void;
}

/**
 * The active controller's state machine: the committed MetadataImage plus a serialized write
 * path. Every change is computed against the committed image, appended to the Raft log, and
 * becomes visible (image updated) only once committed. One write runs at a time, so each
 * operation validates against everything committed before it.
 */
export class QuorumController {
  readonly image = new MetadataImage();
  private writeChain: Promise<unknown> = Promise.resolve();
  private replaying: Promise<void> | null = null;
  private replayAgain = false;
  private readonly logger = createLogger('quorum');
  private started = false;
  private closed = false;

  constructor(readonly raft: RaftClient, readonly clusterId: string, private readonly events: ControllerEvents = {}) {
    this.image.clusterId = clusterId;
  }

  /** Runs the election, replays the committed log and writes the bootstrap records on a fresh log. */
  async start(): Promise<void> {
    this.raft.onHighWatermark(() => void this.catchUp());
    await this.raft.start();
    await this.catchUp();
    // Everything up to our epoch's LeaderChangeMessage is applied: the image is current.
    if (!this.image.features.has('metadata.version')) {
      await this.write(() => ({
        records: [{ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: METADATA_VERSION_LEVEL } }],
        result: undefined,
      }));
    }
    this.started = true;
  }

  /**
   * True when this node is the active controller: the Raft leader, started (its image caught up with
   * everything committed before its epoch). Writes in flight do not make it inactive.
   */
  get active(): boolean {
    return this.started && !this.closed && this.raft.isLeader();
  }

  /** Apply committed batches past the image's offset (serialized; re-runs if the HW moved meanwhile). */
  catchUp(): Promise<void> {
    if (this.replaying) {
      this.replayAgain = true;
      return this.replaying;
    }
    this.replaying = (async () => {
      try {
        do {
          this.replayAgain = false;
          while (this.image.offset + 1 < this.raft.highWatermark) {
            const { chunks } = await this.raft.readCommitted(this.image.offset + 1, 1024 * 1024);
            if (chunks.length === 0) break;
            const before = this.image.offset;
            replayMetadataBatches(this.image, chunks);
            if (this.image.offset === before) {
              this.logger.error(`metadata replay made no progress at offset ${before + 1}`);
              break;
            }
          }
        } while (this.replayAgain);
        this.events.onApplied?.(this.image);
      } catch (e) {
        this.logger.error(`metadata replay failed: ${(e as Error).stack ?? e}`);
      } finally {
        this.replaying = null;
      }
    })();
    return this.replaying;
  }

  /**
   * Serialized read-modify-write. `fn` sees the committed image and returns records to append and
   * the caller's result; the promise settles after those records are committed and applied.
   * Throwing ControllerError from fn aborts without writing.
   */
  write<T>(fn: (image: MetadataImage) => WriteResult<T> | Promise<WriteResult<T>>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed || !this.raft.isLeader()) throw new NotLeaderError(this.raft.leaderId, this.raft.epoch);
      const { records, result } = await fn(this.image);
      if (records.length === 0) return result;
      const t0 = process.hrtime.bigint();
      const { lastOffset } = await this.raft.append(records);
      await this.catchUp();
      if (this.image.offset < lastOffset) {
        const ok = await this.image.waitForOffset(lastOffset, 10_000);
        if (!ok) throw new Error(`committed offset ${lastOffset} was not applied in time`);
      }
      this.events.onCommitLatency?.(Number(process.hrtime.bigint() - t0) / 1e9);
      return result;
    };
    const p = this.writeChain.then(run, run);
    this.writeChain = p.catch(() => undefined);
    return p;
  }

  /** Offset the next record will get; only meaningful inside write(). */
  nextOffset(): number {
    return this.raft.nextOffset();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.writeChain.catch(() => undefined);
    await this.raft.close();
  }
}
