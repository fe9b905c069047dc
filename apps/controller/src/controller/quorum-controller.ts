import { MetadataImage, MetadataRecord, replayMetadataBatches } from '@runnel/metadata';
import { NotLeaderError, RaftClient } from '../raft/raft-client';
import { createLogger } from '../util/logger';
import { countElections, ElectionKind } from './elections';

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
  /** How leaders named in these records were chosen (default 'clean'), for the elections counter. */
  electionKind?: ElectionKind;
}

export interface ControllerEvents {
  onCommitLatency?(seconds: number): void;
  onApplied?(image: MetadataImage): void;
  /** This node became the active controller (a new Raft leadership, image caught up). */
  onActivated?(epoch: number): void;
  /** Leader elections just committed, by kind. */
  onElections?(kind: ElectionKind, count: number): void;
}

/**
 * The controller's state machine: the committed MetadataImage plus a serialized write path.
 * Every change is computed against the committed image, appended to the Raft log, and becomes
 * visible (image updated) only once committed. One write runs at a time, so each operation
 * validates against everything committed before it. On a follower the image follows the high
 * watermark and writes fail with NotLeaderError (NOT_CONTROLLER).
 */
export class QuorumController {
  readonly image = new MetadataImage();
  private writeChain: Promise<unknown> = Promise.resolve();
  private replaying: Promise<void> | null = null;
  private replayAgain = false;
  private readonly logger = createLogger('quorum');
  /** Raft epoch in which this node finished taking over as active controller (-1: not active). */
  private activeEpoch = -1;
  private activating: Promise<void> | null = null;
  private closed = false;

  constructor(readonly raft: RaftClient, readonly clusterId: string, private readonly events: ControllerEvents = {}) {
    this.image.clusterId = clusterId;
  }

  /**
   * Joins the quorum and replays the committed log. With a single voter this node leads at once and
   * start() returns once it is active (bootstrap records written on a fresh log); with several
   * voters activation happens whenever this node wins an election.
   */
  async start(): Promise<void> {
    this.raft.onHighWatermark(() => void this.catchUp());
    this.raft.onRoleChange((role) => {
      if (role === 'leader') void this.activate();
    });
    await this.raft.start();
    if (this.raft.isLeader()) await this.activate();
    await this.catchUp();
  }

  /**
   * A new leadership: wait until the epoch's LeaderChangeMessage is committed, apply everything before
   * it, write the bootstrap records on a fresh log, then accept writes.
   */
  private activate(): Promise<void> {
    if (this.activating) return this.activating;
    const epoch = this.raft.epoch;
    this.activating = (async () => {
      try {
        const startOffset = this.raft.epochStartOffset;
        const ok = await this.raft.waitForHighWatermark(startOffset + 1, 0x7fffffff);
        if (!ok || !this.raft.isLeader() || this.raft.epoch !== epoch) return;
        await this.catchUp();
        if (!this.image.features.has('metadata.version')) {
          await this.writeInternal(() => ({
            records: [{ name: 'FeatureLevelRecord', data: { name: 'metadata.version', featureLevel: METADATA_VERSION_LEVEL } }],
            result: undefined,
          }));
        }
        if (!this.raft.isLeader() || this.raft.epoch !== epoch || this.closed) return;
        this.activeEpoch = epoch;
        this.logger.log(`active controller in epoch ${epoch} (metadata offset ${this.image.offset})`);
        this.events.onActivated?.(epoch);
      } catch (e) {
        this.logger.warn(`taking over as active controller in epoch ${epoch} failed: ${(e as Error).message}`);
      } finally {
        this.activating = null;
        // Won another election meanwhile: take that one over too.
        if (this.raft.isLeader() && this.raft.epoch !== epoch && !this.closed) void this.activate();
      }
    })();
    return this.activating;
  }

  /**
   * True when this node is the active controller: the Raft leader, with its image caught up with
   * everything committed before its epoch. Writes in flight do not make it inactive.
   */
  get active(): boolean {
    return !this.closed && this.raft.isLeader() && this.activeEpoch === this.raft.epoch;
  }

  /** Apply committed batches past the image's offset (serialized; re-runs if the HW moved meanwhile). */
  catchUp(): Promise<void> {
    if (this.replaying) {
      this.replayAgain = true;
      return this.replaying;
    }
    this.replaying = (async () => {
      // Yield first: a replay with nothing to do would otherwise run its finally before `replaying` is assigned.
      await Promise.resolve();
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
    return this.writeInternal(fn, true);
  }

  private writeInternal<T>(fn: (image: MetadataImage) => WriteResult<T> | Promise<WriteResult<T>>, requireActive = false): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed || !this.raft.isLeader() || (requireActive && !this.active)) throw new NotLeaderError(this.raft.leaderId, this.raft.epoch);
      const { records, result, electionKind } = await fn(this.image);
      if (records.length === 0) return result;
      const t0 = process.hrtime.bigint();
      const { lastOffset } = await this.raft.append(records);
      await this.catchUp();
      if (this.image.offset < lastOffset) {
        const ok = await this.image.waitForOffset(lastOffset, 10_000);
        if (!ok) throw new Error(`committed offset ${lastOffset} was not applied in time`);
      }
      this.events.onCommitLatency?.(Number(process.hrtime.bigint() - t0) / 1e9);
      if (this.events.onElections) {
        for (const [kind, n] of Object.entries(countElections(records, electionKind ?? 'clean'))) this.events.onElections(kind as ElectionKind, n!);
      }
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
