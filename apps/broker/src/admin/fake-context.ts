// Test support for the admin handler specs: a RequestContext over a real MetadataImage/MetadataCache with a
// scripted controller, so handlers run exactly as in the broker minus the network.
import { randomBytes } from 'node:crypto';
import { KafkaConfig } from '@runnel/config';
import { MetadataImage } from '@runnel/metadata';
import type { RequestContext } from '../api/handler';
import { MetadataCache } from '../metadata/metadata-cache';
import { silentLogger } from '../util/logger';

export type ForwardFn = (apiKey: number, version: number, body: any) => Promise<any>;

export interface FakeOptions {
  apiKey?: number;
  apiVersion: number;
  nodeId?: number;
  props?: Record<string, unknown>;
  forward?: ForwardFn;
  replicas?: any;
  producers?: any;
  extra?: Record<string, unknown>;
}

export class FakeCluster {
  readonly image = new MetadataImage();
  readonly metadata = new MetadataCache(this.image);
  private n = 0;

  constructor(readonly nodeId = 1) {
    this.image.clusterId = 'test-cluster-id-000000';
    this.registerBroker(nodeId, 'localhost', 9092, null);
  }

  registerBroker(id: number, host: string, port: number, rack: string | null): void {
    this.image.apply({
      name: 'RegisterBrokerRecord',
      data: { brokerId: id, brokerEpoch: 10n, incarnationId: 'x', endPoints: [{ name: 'PLAINTEXT', host, port, securityProtocol: 0 }], rack, fenced: false },
    } as any);
  }

  /** Create a topic the way the controller's records would. */
  createTopic(name: string, partitions: number, replicas: number[] = [this.nodeId], configs: Record<string, string> = {}): string {
    // A real 16-byte uuid in Kafka's base64url form, so it survives the codec.
    const topicId = randomBytes(16).toString('base64url');
    this.n++;
    this.image.apply({ name: 'TopicRecord', data: { name, topicId } } as any);
    for (let p = 0; p < partitions; p++) {
      this.image.apply({
        name: 'PartitionRecord',
        data: { partitionId: p, topicId, replicas, isr: replicas, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 },
      } as any);
    }
    for (const [k, v] of Object.entries(configs)) this.setConfig(2, name, k, v);
    return topicId;
  }

  addPartitions(name: string, count: number): void {
    const t = this.image.topic(name)!;
    for (let p = t.partitions.length; p < count; p++) {
      this.image.apply({
        name: 'PartitionRecord',
        data: { partitionId: p, topicId: t.topicId, replicas: [this.nodeId], isr: [this.nodeId], leader: this.nodeId, leaderEpoch: 0, partitionEpoch: 0 },
      } as any);
    }
  }

  deleteTopic(name: string): void {
    const t = this.image.topic(name)!;
    this.image.apply({ name: 'RemoveTopicRecord', data: { topicId: t.topicId } } as any);
  }

  setConfig(resourceType: number, resourceName: string, name: string, value: string | null): void {
    this.image.apply({ name: 'ConfigRecord', data: { resourceType, resourceName, name, value } } as any);
  }

  context(o: FakeOptions): RequestContext {
    const config = KafkaConfig.fromProps({ 'node.id': this.nodeId, ...(o.props ?? {}) }, { validate: false });
    const forward: ForwardFn = o.forward ?? (async () => {
      throw new Error('no controller in this test');
    });
    const services: any = {
      nodeId: this.nodeId,
      config,
      brokerEpoch: () => 10,
      listeners: [{ name: 'PLAINTEXT', host: 'localhost', port: 9092, securityProtocol: 'PLAINTEXT' }],
      metadata: this.metadata,
      controller: { forward: (k: number, v: number, b: unknown) => forward(k, v, b) },
      replicas: o.replicas ?? { get: () => ({}) },
      producers: o.producers ?? { forPartition: () => ({ truncateHead: () => undefined }) },
      log: silentLogger,
      ...(o.extra ?? {}),
    };
    return {
      apiKey: o.apiKey ?? 0,
      apiVersion: o.apiVersion,
      correlationId: 1,
      clientId: 'test',
      listener: 'PLAINTEXT',
      connectionId: 1,
      clientAddress: '127.0.0.1:1',
      startedAt: process.hrtime.bigint(),
      signal: new AbortController().signal,
      services,
    };
  }
}
