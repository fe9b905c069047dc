// A minimal in-process stand-in for the controller, for broker tests and smoke runs without apps/controller:
// it keeps a metadata log in memory and serves ApiVersions, DescribeCluster, BrokerRegistration,
// BrokerHeartbeat, Fetch of __cluster_metadata (long poll), CreateTopics, DeleteTopics and AllocateProducerIds.
// It validates little: the real controller owns the rules.
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { ApiKey, Reader, decodeRequest, decodeRequestHeader, encodeMetadataRecord, encodeRecordBatch, encodeResponse } from '@runnel/protocol';
import { Connection } from '../server/connection';
import { silentLogger } from '../util/logger';

interface Rec {
  name: string;
  version: number;
  data: any;
}

export class MiniController {
  readonly clusterId = randomBytes(16).toString('base64url');
  private server: net.Server | null = null;
  private readonly batches: Buffer[] = [];
  private nextOffset = 0;
  private readonly waiters = new Set<() => void>();
  private readonly brokers = new Map<number, { epoch: number; fenced: boolean }>();
  private readonly topics = new Map<string, { id: string; partitions: number }>();
  private nextPid = 0;
  port = 0;
  /** Play a follower voter: refuse writes with NOT_CONTROLLER and point metadata fetches at `leaderId`. */
  follower: { leaderId: number } | null = null;

  async start(port = 0): Promise<number> {
    this.server = net.createServer((socket) => {
      new Connection(socket, (frame) => this.handle(frame), { id: 0, listener: 'CONTROLLER', maxRequestBytes: 100 << 20, idleTimeoutMs: 0, log: silentLogger });
    });
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    this.append([{ name: 'FeatureLevelRecord', version: 0, data: { name: 'metadata.version', featureLevel: 20 } }]);
    return this.port;
  }

  async stop(): Promise<void> {
    for (const w of this.waiters) w();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private append(records: Rec[]): number {
    const base = this.nextOffset;
    const batch = encodeRecordBatch({
      baseOffset: base,
      partitionLeaderEpoch: 1,
      records: records.map((r, i) => ({ key: null, value: encodeMetadataRecord(r as any), offsetDelta: i, timestamp: Date.now() })),
    });
    this.batches.push(batch);
    this.nextOffset += records.length;
    for (const w of [...this.waiters]) w();
    return base;
  }

  private async handle(frame: Buffer): Promise<Buffer[]> {
    const r = new Reader(frame);
    const h = decodeRequestHeader(r);
    const req: any = decodeRequest(h.apiKey, h.apiVersion, r);
    const res = await this.respond(h.apiKey, h.apiVersion, req);
    return encodeResponse(h.apiKey, h.apiVersion, h.correlationId, res);
  }

  private async respond(key: number, version: number, req: any): Promise<any> {
    if (this.follower && key !== ApiKey.ApiVersions) return this.refuse(key);
    switch (key) {
      case ApiKey.ApiVersions:
        return {
          errorCode: 0,
          throttleTimeMs: 0,
          apiKeys: [
            [ApiKey.Fetch, 4, 12],
            [ApiKey.ApiVersions, 0, 3],
            [ApiKey.CreateTopics, 0, 7],
            [ApiKey.DeleteTopics, 0, 6],
            [ApiKey.DescribeCluster, 0, 1],
            [ApiKey.BrokerRegistration, 0, 4],
            [ApiKey.BrokerHeartbeat, 0, 1],
            [ApiKey.AllocateProducerIds, 0, 0],
          ].map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })),
        };
      case ApiKey.DescribeCluster:
        return { errorCode: 0, clusterId: this.clusterId, controllerId: 1, brokers: [], throttleTimeMs: 0, endpointType: 1 };
      case ApiKey.BrokerRegistration: {
        const epoch = this.nextOffset;
        this.append([
          {
            name: 'RegisterBrokerRecord',
            version: 1,
            data: {
              brokerId: req.brokerId,
              incarnationId: req.incarnationId,
              brokerEpoch: BigInt(epoch),
              endPoints: req.listeners.map((l: any) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
              features: [],
              rack: req.rack,
              fenced: true,
              inControlledShutdown: false,
            },
          },
        ]);
        this.brokers.set(req.brokerId, { epoch, fenced: true });
        return { throttleTimeMs: 0, errorCode: 0, brokerEpoch: BigInt(epoch) };
      }
      case ApiKey.BrokerHeartbeat: {
        const b = this.brokers.get(req.brokerId);
        if (!b || BigInt(b.epoch) !== BigInt(req.brokerEpoch)) return { throttleTimeMs: 0, errorCode: 73 /* STALE_BROKER_EPOCH */, isCaughtUp: false, isFenced: true, shouldShutDown: false };
        const caughtUp = Number(req.currentMetadataOffset) >= b.epoch;
        if (req.wantShutDown) return { throttleTimeMs: 0, errorCode: 0, isCaughtUp: caughtUp, isFenced: true, shouldShutDown: true };
        if (b.fenced && caughtUp) {
          b.fenced = false;
          this.append([{ name: 'UnfenceBrokerRecord', version: 0, data: { id: req.brokerId, epoch: BigInt(b.epoch) } }]);
        }
        return { throttleTimeMs: 0, errorCode: 0, isCaughtUp: caughtUp, isFenced: b.fenced, shouldShutDown: false };
      }
      case ApiKey.AllocateProducerIds: {
        const start = this.nextPid;
        this.nextPid += 1000;
        return { throttleTimeMs: 0, errorCode: 0, producerIdStart: BigInt(start), producerIdLen: 1000 };
      }
      case ApiKey.CreateTopics:
        return { throttleTimeMs: 0, topics: req.topics.map((t: any) => this.createTopic(t)) };
      case ApiKey.DeleteTopics:
        return {
          throttleTimeMs: 0,
          responses: (req.topicNames ?? req.topics.map((t: any) => t.name)).map((name: string) => {
            const t = this.topics.get(name);
            if (!t) return { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: 3, errorMessage: null };
            this.topics.delete(name);
            this.append([{ name: 'RemoveTopicRecord', version: 0, data: { topicId: t.id } }]);
            return { name, topicId: t.id, errorCode: 0, errorMessage: null };
          }),
        };
      case ApiKey.Fetch:
        return this.fetch(req);
      default:
        throw new Error(`mini controller: API ${key} not served`);
    }
  }

  private refuse(key: number): any {
    if (key === ApiKey.Fetch) {
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [
          {
            topic: '__cluster_metadata',
            topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
            partitions: [
              {
                partitionIndex: 0, errorCode: 6, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
                abortedTransactions: null, preferredReadReplica: -1, records: null,
                currentLeader: { leaderId: this.follower!.leaderId, leaderEpoch: 1 },
              },
            ],
          },
        ],
      };
    }
    return { throttleTimeMs: 0, errorCode: 41, brokerEpoch: -1n, isCaughtUp: false, isFenced: true, shouldShutDown: false, producerIdStart: -1n, producerIdLen: 0, clusterId: '', controllerId: this.follower!.leaderId, brokers: [], topics: [] };
  }

  private createTopic(t: any): any {
    if (this.topics.has(t.name)) return { name: t.name, topicId: this.topics.get(t.name)!.id, errorCode: 36, errorMessage: 'exists', numPartitions: -1, replicationFactor: -1, configs: [] };
    const leader = [...this.brokers.entries()].find(([, b]) => !b.fenced)?.[0] ?? 1;
    const n = t.numPartitions > 0 ? t.numPartitions : 1;
    const id = randomBytes(16).toString('base64url');
    const recs: Rec[] = [{ name: 'TopicRecord', version: 0, data: { name: t.name, topicId: id } }];
    for (let p = 0; p < n; p++) {
      recs.push({ name: 'PartitionRecord', version: 0, data: { partitionId: p, topicId: id, replicas: [leader], isr: [leader], removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0 } });
    }
    for (const c of t.configs ?? []) recs.push({ name: 'ConfigRecord', version: 0, data: { resourceType: 2, resourceName: t.name, name: c.name, value: c.value } });
    this.topics.set(t.name, { id, partitions: n });
    this.append(recs);
    return { name: t.name, topicId: id, errorCode: 0, errorMessage: null, numPartitions: n, replicationFactor: 1, configs: [] };
  }

  private async fetch(req: any): Promise<any> {
    const p = req.topics[0].partitions[0];
    const from = Number(p.fetchOffset);
    if (from >= this.nextOffset && req.maxWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, req.maxWaitMs);
        this.waiters.add(done);
      });
    }
    const records: Buffer[] = [];
    let offset = 0;
    for (const b of this.batches) {
      const count = b.readInt32BE(57);
      if (offset + count > from) records.push(b);
      offset += count;
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: '__cluster_metadata',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 0,
              highWatermark: BigInt(this.nextOffset),
              lastStableOffset: BigInt(this.nextOffset),
              logStartOffset: 0n,
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: records.length ? records : null,
            },
          ],
        },
      ],
    };
  }
}
