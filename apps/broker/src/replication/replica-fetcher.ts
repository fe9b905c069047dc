// Follower replication: one fetch loop per leader broker pulls every partition this broker follows from it with
// Fetch v12 (replica id = our node id, last fetched epoch for divergence checks), appends the batches byte for byte
// (CRC checked, offsets and leader epochs kept), takes the leader's high watermark and log start, and truncates a
// diverged tail when the leader answers with a diverging epoch. The fetch offset itself tells the leader how far
// this replica got, which is what moves the leader's high watermark and the ISR.
import { KafkaConnection } from '@runnel/client';
import { ApiKey, ErrorCode, errorInfo, splitRecordBatches } from '@runnel/protocol';
import type { MetadataCache } from '../metadata/metadata-cache';
import type { Partition } from '../partitions/partition';
import type { Logger } from '../util/logger';

export interface ReplicaFetcherSettings {
  readonly nodeId: number;
  /** Listener name whose endpoint followers connect to (inter.broker.listener.name). */
  readonly listenerName: string | undefined;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly partitionMaxBytes: number;
  readonly responseMaxBytes: number;
  readonly backoffMs: number;
  readonly requestTimeoutMs: number;
}

export interface ReplicaFetcherOptions extends ReplicaFetcherSettings {
  readonly metadata: MetadataCache;
  readonly log: Logger;
  /** Called after each processed response with this follower's lag behind the leader's high watermark. */
  readonly onLag?: (p: Partition, lag: number) => void;
  /** Bytes appended from the leader (metrics). */
  readonly onAppended?: (p: Partition, bytes: number) => void;
}

interface FetchState {
  partition: Partition;
  /** Leader epoch this fetch state was created for: a change means a new leader or epoch, so errors clear. */
  leaderEpoch: number;
  delayUntil: number;
}

const FETCH_VERSION = 12;

/** Fetches from one leader broker. */
export class ReplicaFetcher {
  private readonly states = new Map<string, FetchState>();
  private conn: KafkaConnection | null = null;
  private connAddress = '';
  private running = true;
  private wakeUp: (() => void) | null = null;
  private readonly loop: Promise<void>;

  constructor(readonly leaderId: number, private readonly opts: ReplicaFetcherOptions) {
    this.loop = this.run();
  }

  get size(): number {
    return this.states.size;
  }

  /** The partitions to fetch from this leader now (others are dropped). */
  setPartitions(partitions: Partition[]): void {
    const keep = new Set<string>();
    for (const p of partitions) {
      keep.add(p.key);
      const s = this.states.get(p.key);
      if (!s || s.partition !== p || s.leaderEpoch !== p.leaderEpoch) this.states.set(p.key, { partition: p, leaderEpoch: p.leaderEpoch, delayUntil: 0 });
    }
    for (const k of [...this.states.keys()]) if (!keep.has(k)) this.states.delete(k);
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    const c = this.conn;
    this.conn = null;
    await c?.close().catch(() => undefined);
    await this.loop.catch(() => undefined);
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const ready = [...this.states.values()].filter((s) => s.delayUntil <= now && s.partition.isFollower() && s.partition.leader === this.leaderId);
      if (ready.length === 0) {
        const next = Math.min(...[...this.states.values()].map((s) => s.delayUntil).filter((t) => t > now), now + 1000);
        await this.sleep(Math.max(10, next - now));
        continue;
      }
      try {
        const conn = await this.connection();
        const res = await conn.send<any>(ApiKey.Fetch, FETCH_VERSION, this.request(ready), { timeoutMs: this.opts.maxWaitMs + this.opts.requestTimeoutMs });
        if (!this.running) break;
        if (res.errorCode) throw new Error(`fetch error ${errorInfo(res.errorCode).name}`);
        await this.handleResponse(ready, res);
      } catch (err) {
        if (!this.running) break;
        this.opts.log.warn(`fetch from leader ${this.leaderId} failed: ${(err as Error).message}; retrying in ${this.opts.backoffMs} ms`);
        this.dropConnection();
        await this.sleep(this.opts.backoffMs);
      }
    }
    this.dropConnection();
  }

  private request(ready: FetchState[]): unknown {
    const byTopic = new Map<string, FetchState[]>();
    for (const s of ready) {
      const list = byTopic.get(s.partition.topic) ?? [];
      list.push(s);
      byTopic.set(s.partition.topic, list);
    }
    return {
      clusterId: null,
      replicaId: this.opts.nodeId,
      maxWaitMs: this.opts.maxWaitMs,
      minBytes: this.opts.minBytes,
      maxBytes: this.opts.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, list]) => ({
        topic,
        topicId: list[0].partition.topicId,
        partitions: list.map((s) => ({
          partition: s.partition.partition,
          currentLeaderEpoch: s.partition.leaderEpoch,
          fetchOffset: BigInt(s.partition.logEndOffset),
          lastFetchedEpoch: s.partition.log.latestEpoch,
          logStartOffset: BigInt(s.partition.logStartOffset),
          partitionMaxBytes: this.opts.partitionMaxBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async handleResponse(ready: FetchState[], res: any): Promise<void> {
    for (const t of res.responses ?? []) {
      for (const pr of t.partitions ?? []) {
        const s = ready.find((x) => x.partition.topic === t.topic && x.partition.partition === pr.partitionIndex);
        if (!s || this.states.get(s.partition.key) !== s) continue;
        try {
          await this.handlePartition(s, pr);
        } catch (err) {
          this.opts.log.warn(`replicating ${s.partition.key} from ${this.leaderId} failed: ${(err as Error).message}`);
          s.delayUntil = Date.now() + this.opts.backoffMs;
        }
      }
    }
  }

  private async handlePartition(s: FetchState, pr: any): Promise<void> {
    const p = s.partition;
    const epoch = s.leaderEpoch;
    if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      await p.exclusive(async () => {
        if (!p.isFollower() || p.leaderEpoch !== epoch) return;
        const leaderStart = Number(pr.logStartOffset);
        if (leaderStart >= 0 && p.logEndOffset < leaderStart) {
          this.opts.log.info(`${p.key}: behind the leader's log start ${leaderStart}; starting over there`);
          await p.truncateFullyAndStartAt(leaderStart);
        } else {
          // Ahead of the leader's end: only what the leader has committed is certainly shared.
          const hwm = Number(pr.highWatermark);
          if (hwm >= 0 && hwm < p.logEndOffset) {
            this.opts.log.info(`${p.key}: ahead of the leader; truncating to its high watermark ${hwm}`);
            await p.truncateTo(hwm);
          } else s.delayUntil = Date.now() + this.opts.backoffMs;
        }
      });
      return;
    }
    if (pr.errorCode !== 0) {
      // NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_OR_PARTITION: the metadata is about to
      // change; wait for it (a new leader epoch resets this delay) rather than spin.
      s.delayUntil = Date.now() + this.opts.backoffMs;
      return;
    }
    const diverging = pr.divergingEpoch;
    if (diverging && diverging.epoch >= 0) {
      await p.exclusive(async () => {
        if (!p.isFollower() || p.leaderEpoch !== epoch) return;
        const leaderEnd = Number(diverging.endOffset);
        const own = p.log.endOffsetForEpoch(diverging.epoch);
        const target = Math.min(leaderEnd, own.endOffset >= 0 ? own.endOffset : leaderEnd, p.logEndOffset);
        this.opts.log.info(
          `${p.key}: log diverged from leader ${this.leaderId} at epoch ${diverging.epoch} (leader ends it at ${leaderEnd}); truncating to ${target}`,
        );
        const before = `${p.logEndOffset}/${p.log.latestEpoch}`;
        await p.truncateTo(Math.max(target, p.logStartOffset));
        // A truncation that changes nothing would be answered with the same divergence: back off, don't spin.
        if (`${p.logEndOffset}/${p.log.latestEpoch}` === before) {
          this.opts.log.warn(`${p.key}: truncation to ${target} left the log unchanged; retrying in ${this.opts.backoffMs} ms`);
          s.delayUntil = Date.now() + this.opts.backoffMs;
        }
      });
      return;
    }
    const records: Buffer | Buffer[] | null = pr.records;
    const bufs = !records ? [] : Array.isArray(records) ? records : [records];
    await p.exclusive(async () => {
      if (!p.isFollower() || p.leaderEpoch !== epoch) return;
      for (const buf of bufs) {
        if (buf.length === 0) continue;
        // The leader sends whole batches; anything else (or a bad CRC) is refused rather than stored.
        const views = splitRecordBatches(buf);
        for (const v of views) {
          if (!v.verifyCrc()) throw new Error(`batch at offset ${v.baseOffset} failed its CRC check`);
        }
        if (views.length > 0 && views[0].baseOffset < p.logEndOffset) {
          const skip = views.findIndex((v) => v.baseOffset >= p.logEndOffset);
          if (skip < 0) continue;
          const rest = buf.subarray(views[skip].offset);
          if (await p.appendAsFollower(rest, epoch)) this.opts.onAppended?.(p, rest.length);
        } else if (views.length > 0) {
          if (await p.appendAsFollower(buf, epoch)) this.opts.onAppended?.(p, buf.length);
        }
      }
      p.updateFollowerHighWatermark(Number(pr.highWatermark));
      const leaderStart = Number(pr.logStartOffset);
      if (leaderStart > p.logStartOffset && leaderStart <= p.logEndOffset) await p.log.deleteRecordsBefore(leaderStart);
      this.opts.onLag?.(p, Math.max(0, Number(pr.highWatermark) - p.logEndOffset));
    });
  }

  private leaderAddress(): { host: string; port: number } | null {
    const b = this.opts.metadata.broker(this.leaderId);
    if (!b || b.endpoints.length === 0) return null;
    const ep = b.endpoints.find((e) => e.name === this.opts.listenerName) ?? b.endpoints[0];
    return { host: ep.host, port: ep.port };
  }

  private async connection(): Promise<KafkaConnection> {
    const addr = this.leaderAddress();
    if (!addr) throw new Error(`broker ${this.leaderId} has no registered endpoint`);
    const key = `${addr.host}:${addr.port}`;
    if (this.conn && !this.conn.closed && this.connAddress === key) return this.conn;
    this.dropConnection();
    const conn = await KafkaConnection.connect({
      host: addr.host,
      port: addr.port,
      clientId: `runnel-broker-${this.opts.nodeId}-replica-fetcher`,
      connectTimeoutMs: Math.min(this.opts.requestTimeoutMs, 10_000),
      requestTimeoutMs: this.opts.requestTimeoutMs,
    });
    this.conn = conn;
    this.connAddress = key;
    return conn;
  }

  private dropConnection(): void {
    const c = this.conn;
    this.conn = null;
    if (c) void c.close().catch(() => undefined);
  }
}

/** Keeps one ReplicaFetcher per leader broker, matching the partitions this broker follows. */
export class ReplicaFetcherManager {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  private stopped = false;

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  /** Reassign followed partitions to fetchers by their current leader. */
  update(partitions: Iterable<Partition>): void {
    if (this.stopped) return;
    const byLeader = new Map<number, Partition[]>();
    for (const p of partitions) {
      if (!p.isFollower()) continue;
      const list = byLeader.get(p.leader) ?? [];
      list.push(p);
      byLeader.set(p.leader, list);
    }
    for (const [leader, f] of [...this.fetchers]) {
      if (!byLeader.has(leader)) {
        this.fetchers.delete(leader);
        void f.stop();
      }
    }
    for (const [leader, list] of byLeader) {
      let f = this.fetchers.get(leader);
      if (!f) {
        f = new ReplicaFetcher(leader, this.opts);
        this.fetchers.set(leader, f);
      }
      f.setPartitions(list);
    }
  }

  /** Partitions being fetched, for metrics. */
  get partitionCount(): number {
    let n = 0;
    for (const f of this.fetchers.values()) n += f.size;
    return n;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
