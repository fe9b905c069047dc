import type { KafkaConfig } from '@runnel/config';
import { ErrorCode } from '@runnel/protocol';
import type { MetadataRecord } from '@runnel/metadata';
import { ControllerError, QuorumController } from './quorum-controller';
import { recordsForBrokerRemoval, recordsForBrokerReturn } from './partition-changes';
import { createLogger } from '../util/logger';

export interface RegistrationRequest {
  brokerId: number;
  clusterId: string;
  incarnationId: string;
  listeners: { name: string; host: string; port: number; securityProtocol: number }[];
  features: { name: string; minSupportedVersion: number; maxSupportedVersion: number }[];
  rack: string | null;
}

export interface HeartbeatRequest {
  brokerId: number;
  brokerEpoch: number;
  currentMetadataOffset: number;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface HeartbeatResult {
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

/**
 * Broker registration, heartbeats and sessions (KIP-631). Broker epoch = offset of the broker's
 * RegisterBrokerRecord. A broker starts fenced, is unfenced once a heartbeat shows it has replayed
 * the metadata log up to its registration, and is fenced again when no heartbeat arrives for
 * broker.session.timeout.ms (its leaderships move first, in the same batch).
 */
export class BrokerLifecycle {
  private readonly lastContact = new Map<number, number>();
  /** Brokers this controller has heard from since it started (not just seen in the replayed log). */
  private readonly heardFrom = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly logger = createLogger('brokers');
  private fencing = new Set<number>();
  /** Last metadata offset each broker said it has applied (from its heartbeats). */
  private readonly reportedOffset = new Map<number, number>();
  /** Broker in controlled shutdown -> its epoch and the offset of the records that moved its leaderships. */
  private readonly shutdownOffsets = new Map<number, { epoch: number; offset: number }>();

  constructor(
    private readonly controller: QuorumController,
    private readonly sessionTimeoutMs: number,
    private readonly now: () => number = Date.now,
    /** Cluster defaults the partition changes consult (unclean.leader.election.enable). */
    private readonly config: KafkaConfig | null = null,
  ) {}

  start(): void {
    // Brokers known from the log get a full session to come back after a controller restart.
    const t = this.now();
    for (const id of this.controller.image.brokers.keys()) this.lastContact.set(id, t);
    const period = Math.max(50, Math.min(1000, Math.floor(this.sessionTimeoutMs / 8)));
    this.timer = setInterval(() => this.checkSessions(), period);
    this.timer.unref();
  }

  /**
   * A new active controller (after a failover) gives every known broker a full session from now, and
   * forgets who it heard from: sessions are this controller's own observations.
   */
  resetSessions(): void {
    const t = this.now();
    this.heardFrom.clear();
    this.lastContact.clear();
    for (const id of this.controller.image.brokers.keys()) this.lastContact.set(id, t);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  register(req: RegistrationRequest): Promise<{ errorCode: number; brokerEpoch: number; errorMessage?: string }> {
    return this.controller
      .write((image) => {
        if (req.clusterId && req.clusterId !== this.controller.clusterId) {
          throw new ControllerError(
            ErrorCode.INCONSISTENT_CLUSTER_ID,
            `Expected cluster ID ${this.controller.clusterId}, but got ${req.clusterId}`,
          );
        }
        if (!(req.brokerId >= 0)) throw new ControllerError(ErrorCode.INVALID_REQUEST, `Invalid broker id ${req.brokerId}`);
        const existing = image.brokers.get(req.brokerId);
        // Only a broker we have heard from can hold a live session: after a controller restart the
        // replayed registration of a killed broker must not block its restart for a whole session.
        if (
          existing &&
          existing.incarnationId !== req.incarnationId &&
          !existing.fenced &&
          this.heardFrom.has(req.brokerId) &&
          this.sessionAlive(req.brokerId)
        ) {
          throw new ControllerError(
            ErrorCode.DUPLICATE_BROKER_REGISTRATION,
            `Another broker is registered with id ${req.brokerId} and its session has not expired`,
          );
        }
        const epoch = this.controller.nextOffset();
        const records: MetadataRecord[] = [];
        // A re-registering broker loses its leaderships until it is unfenced again.
        if (existing) records.push(...recordsForBrokerRemoval(image, req.brokerId, this.config));
        records.push({
          name: 'RegisterBrokerRecord',
          version: 1,
          data: {
            brokerId: req.brokerId,
            incarnationId: req.incarnationId,
            brokerEpoch: BigInt(epoch + records.length),
            endPoints: req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
            features: req.features.map((f) => ({ ...f })),
            rack: req.rack ?? null,
            fenced: true,
            inControlledShutdown: false,
          },
        });
        return { records, result: epoch + records.length - 1 };
      })
      .then((brokerEpoch) => {
        this.lastContact.set(req.brokerId, this.now());
        this.heardFrom.add(req.brokerId);
        this.logger.log(`broker ${req.brokerId} registered with epoch ${brokerEpoch}`);
        return { errorCode: 0, brokerEpoch };
      });
  }

  async heartbeat(req: HeartbeatRequest): Promise<HeartbeatResult> {
    const image = this.controller.image;
    const broker = image.brokers.get(req.brokerId);
    if (!broker) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    if (broker.epoch !== req.brokerEpoch) {
      return { errorCode: ErrorCode.STALE_BROKER_EPOCH, isCaughtUp: false, isFenced: true, shouldShutDown: false };
    }
    this.lastContact.set(req.brokerId, this.now());
    this.heardFrom.add(req.brokerId);
    this.reportedOffset.set(req.brokerId, req.currentMetadataOffset);
    const caughtUp = req.currentMetadataOffset >= broker.epoch;

    if (req.wantShutDown) return this.controlledShutdown(req, caughtUp);

    if (req.wantFence) {
      if (!broker.fenced) await this.fence(req.brokerId, req.brokerEpoch, 'it asked to be fenced');
      return { errorCode: 0, isCaughtUp: caughtUp, isFenced: true, shouldShutDown: false };
    }

    if (broker.fenced && caughtUp) {
      await this.controller.write((img) => {
        const b = img.brokers.get(req.brokerId);
        if (!b || b.epoch !== req.brokerEpoch || !b.fenced) return { records: [], result: undefined };
        const unfenced = { ...b, fenced: false };
        return {
          records: [
            { name: 'UnfenceBrokerRecord', version: 0, data: { id: b.id, epoch: BigInt(b.epoch) } },
            ...recordsForBrokerReturn(img, unfenced, this.config),
          ],
          result: undefined,
        };
      });
      this.logger.log(`broker ${req.brokerId} unfenced (caught up to metadata offset ${req.currentMetadataOffset})`);
    }
    const now = this.controller.image.brokers.get(req.brokerId);
    return { errorCode: 0, isCaughtUp: caughtUp, isFenced: now ? now.fenced : true, shouldShutDown: false };
  }

  /**
   * Moves the broker's leaderships away and marks it in controlled shutdown (once per broker epoch), then lets it
   * stop only when every other active broker has reported applying those records, as Kafka does: clients and
   * followers are then redirected by brokers that already know the new leaders instead of waiting on a dead one.
   */
  private async controlledShutdown(req: HeartbeatRequest, caughtUp: boolean): Promise<HeartbeatResult> {
    let pending = this.shutdownOffsets.get(req.brokerId);
    if (!pending || pending.epoch !== req.brokerEpoch) {
      const offset = await this.controller.write((img) => {
        const b = img.brokers.get(req.brokerId);
        if (!b || b.epoch !== req.brokerEpoch || (b.fenced && !b.inControlledShutdown && !hasLeadership(img, b.id))) {
          return { records: [], result: -1 };
        }
        const records: MetadataRecord[] = [
          ...recordsForBrokerRemoval(img, b.id, this.config),
          { name: 'BrokerRegistrationChangeRecord', version: 1, data: { brokerId: b.id, brokerEpoch: BigInt(b.epoch), fenced: 1, inControlledShutdown: 1 } },
        ];
        return { records, result: this.controller.nextOffset() + records.length - 1 };
      });
      pending = { epoch: req.brokerEpoch, offset };
      this.shutdownOffsets.set(req.brokerId, pending);
    }
    const target = pending.offset;
    const lagging = [...this.controller.image.brokers.values()].filter(
      (b) => b.id !== req.brokerId && !b.fenced && !b.inControlledShutdown && (this.reportedOffset.get(b.id) ?? -1) < target,
    );
    if (lagging.length > 0) return { errorCode: 0, isCaughtUp: caughtUp, isFenced: true, shouldShutDown: false };
    this.shutdownOffsets.delete(req.brokerId);
    this.logger.log(`broker ${req.brokerId} completed controlled shutdown`);
    return { errorCode: 0, isCaughtUp: caughtUp, isFenced: true, shouldShutDown: true };
  }

  private sessionAlive(brokerId: number): boolean {
    const t = this.lastContact.get(brokerId);
    return t !== undefined && this.now() - t <= this.sessionTimeoutMs;
  }

  /** Fence every unfenced broker whose session expired. */
  checkSessions(): void {
    if (!this.controller.active) return;
    for (const b of this.controller.image.brokers.values()) {
      if (b.fenced || this.fencing.has(b.id)) continue;
      if (!this.lastContact.has(b.id)) this.lastContact.set(b.id, this.now());
      if (!this.sessionAlive(b.id)) {
        void this.fence(b.id, b.epoch, `no heartbeat for ${this.sessionTimeoutMs} ms`).catch((e) =>
          this.logger.warn(`fencing broker ${b.id} failed: ${(e as Error).message}`),
        );
      }
    }
  }

  private async fence(brokerId: number, epoch: number, why: string): Promise<void> {
    this.fencing.add(brokerId);
    try {
      const done = await this.controller.write((img) => {
        const b = img.brokers.get(brokerId);
        if (!b || b.fenced || b.epoch !== epoch) return { records: [], result: false };
        return {
          records: [...recordsForBrokerRemoval(img, brokerId, this.config), { name: 'FenceBrokerRecord', version: 0, data: { id: brokerId, epoch: BigInt(epoch) } }],
          result: true,
        };
      });
      if (done) this.logger.warn(`broker ${brokerId} fenced: ${why}`);
    } finally {
      this.fencing.delete(brokerId);
    }
  }
}

function hasLeadership(image: import('@runnel/metadata').MetadataImage, id: number): boolean {
  for (const t of image.topics.values()) for (const p of t.partitions) if (p && p.leader === id) return true;
  return false;
}
