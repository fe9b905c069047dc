// In-memory stand-ins for unit tests of handlers and the dispatcher: a partition log that keeps batches in
// memory, a log manager over it, and a BrokerServices built around a real MetadataImage fed with records.
import { Registry } from 'prom-client';
import { KafkaConfig } from '@runnel/config';
import { MetadataImage } from '@runnel/metadata';
import { RecordBatchView, splitRecordBatches } from '@runnel/protocol';
import { ApiRegistry } from '../api/registry';
import type { ApiHandler, RequestContext } from '../api/handler';
import { ControllerChannel } from '../controller/controller-channel';
import { MetadataCache } from '../metadata/metadata-cache';
import { TopicConfigs } from '../metadata/topic-configs';
import { BrokerMetrics } from '../metrics/broker.metrics';
import { FetchWaiter } from '../partitions/fetch-waiter';
import { ReplicaManager } from '../partitions/replica-manager';
import { ProducerStateManager } from '../producers/producer-state';
import type { BrokerServices } from '../services';
import { silentLogger } from '../util/logger';

export class FakeLog {
  batches: Buffer[] = [];
  logStartOffset = 0;
  logEndOffset = 0;
  appendTime = -1;
  epochs = { epochForOffset: (_o: number) => 0, assign: (_e: number, _o: number) => undefined };
  latestEpoch = -1;
  isClosed = false;
  topicId: string | null = null;
  setTopicId(id: string): void {
    this.topicId = id;
  }
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  get dir(): string {
    return `/nonexistent/${this.topic}-${this.partition}`;
  }

  get segments(): Array<{ baseOffset: number; size: number }> {
    return [{ baseOffset: this.logStartOffset, size: this.sizeInBytes }];
  }

  get sizeInBytes(): number {
    return this.batches.reduce((a, b) => a + b.length, 0);
  }

  async append(records: Buffer, opts: { leaderEpoch?: number } = {}) {
    const views = splitRecordBatches(records);
    const first = this.logEndOffset;
    let count = 0;
    let maxTs = -1;
    for (const v of views) {
      v.setBaseOffset(this.logEndOffset);
      if (opts.leaderEpoch !== undefined && opts.leaderEpoch >= 0) v.setPartitionLeaderEpoch(opts.leaderEpoch);
      if (this.appendTime >= 0) v.setMaxTimestamp(1, this.appendTime);
      this.logEndOffset = v.lastOffset + 1;
      count += v.recordCount;
      maxTs = Math.max(maxTs, v.maxTimestamp);
      // Keep a copy: the request buffer belongs to the socket.
      this.batches.push(Buffer.from(v.bytes));
    }
    return { firstOffset: first, lastOffset: this.logEndOffset - 1, logAppendTime: this.appendTime, maxTimestamp: maxTs, recordCount: count };
  }

  async read(offset: number, maxBytes: number, opts: { maxOffset?: number; minOneBatch?: boolean } = {}) {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      const e = new Error(`offset ${offset} out of range`);
      e.name = 'OffsetOutOfRangeError';
      throw e;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    const maxOffset = opts.maxOffset ?? Number.MAX_SAFE_INTEGER;
    for (const b of this.batches) {
      const v = new RecordBatchView(b);
      if (v.lastOffset < offset) continue;
      if (v.lastOffset >= maxOffset) break;
      if (bytes + b.length > maxBytes && !(bytes === 0 && opts.minOneBatch !== false)) break;
      chunks.push(b);
      bytes += b.length;
      if (bytes >= maxBytes) break;
    }
    return { chunks, bytes, nextOffset: offset, logStartOffset: this.logStartOffset, logEndOffset: this.logEndOffset, release: () => undefined };
  }

  async offsetForTimestamp(ts: number) {
    for (const b of this.batches) {
      const v = new RecordBatchView(b);
      if (v.maxTimestamp >= ts) return { offset: v.baseOffset, timestamp: v.maxTimestamp };
    }
    return null;
  }

  endOffsetForEpoch(epoch: number) {
    return { epoch, endOffset: this.logEndOffset };
  }
}

export class FakeLogManager {
  readonly map = new Map<string, FakeLog>();
  readonly logDirs: string[] = [];
  getLog(t: string, p: number) {
    return this.map.get(`${t}-${p}`);
  }
  async createLog(t: string, p: number) {
    const l = new FakeLog(t, p);
    this.map.set(`${t}-${p}`, l);
    return l;
  }
  async deleteLog(t: string, p: number) {
    this.map.delete(`${t}-${p}`);
  }
  updateConfig() {}
  logs() {
    return [...this.map.values()];
  }
  async close() {}
}

export interface FakeBroker {
  services: BrokerServices;
  image: MetadataImage;
  logs: FakeLogManager;
  addTopic(name: string, partitions: number, opts?: { leader?: number; configs?: Record<string, string> }): Promise<void>;
  ctx(apiKey: number, apiVersion: number): RequestContext;
  registry: ApiRegistry;
}

let topicSeq = 1;

/** A broker (node 1) whose metadata says what the test adds; no controller, no sockets. */
export async function fakeBroker(handlers: readonly ApiHandler[] = [], props: Record<string, unknown> = {}): Promise<FakeBroker> {
  const config = KafkaConfig.fromProps({ 'node.id': 1, 'process.roles': 'broker', 'controller.quorum.voters': '1@127.0.0.1:1', ...props });
  const image = new MetadataImage();
  image.clusterId = 'test-cluster';
  image.apply({
    name: 'RegisterBrokerRecord',
    data: { brokerId: 1, brokerEpoch: 0n, incarnationId: 'x', endPoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 0 }], features: [], rack: null, fenced: false },
  } as any);
  const metadata = new MetadataCache(image);
  const logs = new FakeLogManager();
  const replicas = new ReplicaManager({ nodeId: 1, logManager: logs as any, metadata, log: silentLogger, logConfigFor: () => ({}) });
  await replicas.start();
  const metrics = new BrokerMetrics(new Registry());
  const registry = new ApiRegistry(handlers);
  const controller = new ControllerChannel({ voters: [], clientId: 'test', metadata, log: silentLogger });
  let nextPid = 1000;
  const services: BrokerServices = {
    nodeId: 1,
    config,
    brokerEpoch: () => 0,
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 9092, securityProtocol: 'PLAINTEXT' }],
    metadata,
    topicConfigs: new TopicConfigs(metadata, config, 1),
    controller,
    replicas,
    fetchWaiter: new FetchWaiter(),
    producers: new ProducerStateManager(),
    producerIds: { nextId: async () => nextPid++ } as any,
    metrics,
    log: silentLogger,
    apiVersions: () => registry.versions(),
  };
  return {
    services,
    image,
    logs,
    registry,
    async addTopic(name, partitions, opts = {}) {
      const topicId = Buffer.alloc(16, topicSeq++).toString('base64url');
      image.apply({ name: 'TopicRecord', data: { name, topicId } } as any);
      for (let p = 0; p < partitions; p++) {
        const leader = opts.leader ?? 1;
        image.apply({ name: 'PartitionRecord', data: { partitionId: p, topicId, replicas: [leader], isr: [leader], leader, leaderEpoch: 0, partitionEpoch: 0 } } as any);
      }
      for (const [k, v] of Object.entries(opts.configs ?? {})) {
        image.apply({ name: 'ConfigRecord', data: { resourceType: 2, resourceName: name, name: k, value: v } } as any);
      }
      // replica manager reacts asynchronously
      await new Promise((r) => setImmediate(r));
    },
    ctx(apiKey, apiVersion) {
      return {
        apiKey,
        apiVersion,
        correlationId: 1,
        clientId: 'test',
        listener: 'PLAINTEXT',
        connectionId: 1,
        clientAddress: '127.0.0.1:1',
        startedAt: process.hrtime.bigint(),
        services,
        signal: new AbortController().signal,
        afterResponse: () => undefined,
      };
    },
  };
}
