import { Kafka, logLevel, Producer } from 'kafkajs';
import { KafkaConnection } from '@runnel/client';
import { ApiKey, encodeRecordBatch, ZERO_UUID } from '@runnel/protocol';
import { kcatConsume } from './kcat';

/**
 * A fault-test workload: one idempotent acks=all kafkajs producer (maxInFlightRequests 1, many retries)
 * writing sequential integers to a few partitions of one topic (round-robin, one record per send), recording
 * which values were acknowledged and when. verify() then reads everything back from the beginning and
 * computes what was lost, duplicated or reordered.
 */
export interface WorkloadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  /** Pause between sends (ms); 0 = as fast as acks come back. */
  intervalMs?: number;
  clientId?: string;
  /** kafkajs producer retries (default 60, backoff up to 1 s: about a minute of retrying). */
  retries?: number;
}

export interface Ack {
  partition: number;
  value: number;
  offset: number;
  at: number;
}

export interface WorkloadFigures {
  /** Records acknowledged. */
  acked: number;
  /** Acknowledged but not read back. */
  lost: number;
  /** Values read back more than once (extra copies). */
  duplicates: number;
  /** Places where a partition's values go backwards. */
  outOfOrder: number;
  /** Records read back. */
  read: number;
  /** Read back but never acknowledged (in flight or failed at the time; allowed). */
  unackedPresent: number;
  /** Sends that failed after kafkajs's retries. */
  failedSends: number;
  /** Longest gap between consecutive acknowledgements (ms), while the producer ran. */
  maxStallMs: number;
  /** Acks per second over the run. */
  rate: number;
  durationMs: number;
  /** Samples of what was lost: "partition:value". */
  lostSample: string[];
  errors: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ProduceWorkload {
  readonly acks: Ack[] = [];
  readonly failures: Array<{ partition: number; value: number; error: string; at: number }> = [];
  private readonly next: number[];
  private stopping = false;
  private loop: Promise<void> | null = null;
  private producer: Producer | null = null;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(readonly options: WorkloadOptions) {
    this.next = Array.from({ length: options.partitions }, () => 0);
  }

  /** Connects and starts producing in the background; resolves once the first record is acknowledged. */
  async start(firstAckTimeoutMs = 30_000): Promise<void> {
    const retries = this.options.retries ?? 60;
    const kafka = new Kafka({
      clientId: this.options.clientId ?? 'runnel-e2e-workload',
      brokers: this.options.bootstrap.split(','),
      connectionTimeout: 2000,
      // Short: a request stuck on a frozen or cut-off broker is abandoned (and retried elsewhere) quickly.
      requestTimeout: 8000,
      retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.NOTHING,
    });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 } });
    await this.producer.connect();
    this.startedAt = Date.now();
    this.loop = this.run();
    await this.waitForAcks(1, firstAckTimeoutMs);
  }

  private async run(): Promise<void> {
    const producer = this.producer!;
    const { topic, partitions } = this.options;
    for (let i = 0; !this.stopping; i++) {
      const partition = i % partitions;
      const value = this.next[partition]++;
      try {
        const r = await producer.send({ topic, acks: -1, timeout: 6000, messages: [{ partition, value: String(value) }] });
        this.acks.push({ partition, value, offset: Number(r[0].baseOffset), at: Date.now() });
      } catch (e) {
        this.failures.push({ partition, value, error: describeError(e), at: Date.now() });
        await sleep(200);
      }
      if (this.options.intervalMs) await sleep(this.options.intervalMs);
    }
  }

  /** Acks so far. */
  get count(): number {
    return this.acks.length;
  }

  /** Resolves once `n` more records than now... or in total: waits until at least `total` acks. */
  async waitForAcks(total: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length < total) {
      if (Date.now() > deadline) {
        throw new Error(`workload: only ${this.acks.length} of ${total} acks within ${timeoutMs} ms; last failures: ${this.failures.slice(-3).map((f) => f.error).join(' | ')}`);
      }
      await sleep(20);
    }
  }

  /** Waits for `n` more acks than there are now. */
  async progress(n: number, timeoutMs = 30_000): Promise<void> {
    await this.waitForAcks(this.acks.length + n, timeoutMs);
  }

  /** The first ack on `partition` (any partition when undefined) after time `t`, or undefined. */
  firstAckAfter(t: number, partition?: number): Ack | undefined {
    return this.acks.find((a) => a.at > t && (partition === undefined || a.partition === partition));
  }

  /** Waits for an ack on `partition` after `t`; resolves with the ms from `t`. */
  async ackedAfter(t: number, partition: number | undefined, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const a = this.firstAckAfter(t, partition);
      if (a) return a.at - t;
      if (Date.now() > deadline) throw new Error(`workload: no ack on partition ${partition ?? 'any'} within ${timeoutMs} ms after the fault`);
      await sleep(20);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    this.stoppedAt = Date.now();
    await this.producer?.disconnect().catch(() => undefined);
  }

  /** Stops (if running), reads the topic back from the beginning with kcat and computes the figures. */
  async verify(bootstrap = this.options.bootstrap): Promise<WorkloadFigures> {
    if (!this.stopping) await this.stop();
    const read = await kcatConsume(bootstrap, this.options.topic, ['-X', 'topic.metadata.refresh.interval.ms=1000'], 120_000);
    const byPartition = new Map<number, number[]>();
    for (const m of read) {
      const list = byPartition.get(m.partition) ?? [];
      list.push(Number(m.payload));
      byPartition.set(m.partition, list);
    }
    return computeFigures(this.acks, byPartition, {
      failedSends: this.failures.length,
      startedAt: this.startedAt,
      stoppedAt: this.stoppedAt || Date.now(),
      errors: [...new Set(this.failures.map((f) => f.error))].slice(0, 5),
    });
  }
}

/** The figures for acks against what was read back (values per partition in offset order). Exported for its own tests. */
export function computeFigures(
  acks: Ack[],
  readBack: Map<number, number[]>,
  run: { failedSends: number; startedAt: number; stoppedAt: number; errors?: string[] },
): WorkloadFigures {
  let duplicates = 0;
  let outOfOrder = 0;
  let read = 0;
  const present = new Map<number, Set<number>>();
  for (const [p, values] of readBack) {
    const seen = new Set<number>();
    values.forEach((v, i) => {
      if (seen.has(v)) duplicates++;
      seen.add(v);
      if (i > 0 && v <= values[i - 1]) outOfOrder++;
    });
    present.set(p, seen);
    read += values.length;
  }
  const lostList: string[] = [];
  const ackedKeys = new Set<string>();
  for (const a of acks) {
    ackedKeys.add(`${a.partition}:${a.value}`);
    if (!present.get(a.partition)?.has(a.value)) lostList.push(`${a.partition}:${a.value}`);
  }
  let unackedPresent = 0;
  for (const [p, seen] of present) for (const v of seen) if (!ackedKeys.has(`${p}:${v}`)) unackedPresent++;
  let maxStallMs = 0;
  for (let i = 1; i < acks.length; i++) maxStallMs = Math.max(maxStallMs, acks[i].at - acks[i - 1].at);
  const durationMs = Math.max(1, run.stoppedAt - run.startedAt);
  return {
    acked: acks.length,
    lost: lostList.length,
    duplicates,
    outOfOrder,
    read,
    unackedPresent,
    failedSends: run.failedSends,
    maxStallMs,
    rate: Math.round((acks.length * 1000) / durationMs),
    durationMs,
    lostSample: lostList.slice(0, 10),
    errors: run.errors ?? [],
  };
}

/** One line for the test output. */
export function report(name: string, f: WorkloadFigures, extra: Record<string, unknown> = {}): string {
  const parts = [
    `acked=${f.acked}`,
    `lost=${f.lost}`,
    `duplicates=${f.duplicates}`,
    `outOfOrder=${f.outOfOrder}`,
    `read=${f.read}`,
    `unackedPresent=${f.unackedPresent}`,
    `failedSends=${f.failedSends}`,
    `maxStallMs=${f.maxStallMs}`,
    `rate=${f.rate}/s`,
    ...Object.entries(extra).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`),
  ];
  if (f.lostSample.length) parts.push(`lostSample=${f.lostSample.join(',')}`);
  if (f.errors.length) parts.push(`errors=${JSON.stringify(f.errors)}`);
  const line = `[replication-faults] ${name}: ${parts.join(' ')}`;
  console.log(line);
  return line;
}

function describeError(e: unknown): string {
  const err = e as { name?: string; type?: string; message?: string; cause?: unknown };
  let s = `${err.name ?? 'Error'}${err.type ? `(${err.type})` : ''}: ${err.message ?? String(e)}`;
  if (err.cause) s += ` <- ${describeError(err.cause)}`;
  return s.slice(0, 300);
}

/** The outcome of one raw Produce: the partition's error code, base offset, and the transport failure if any. */
export interface RawProduceResult {
  errorCode: number | null;
  baseOffset: bigint | null;
  transportError: string | null;
  ms: number;
}

/**
 * Sends one acks=all Produce (v7, one record, not idempotent) straight to `host:port` over a fresh connection
 * (opened before `beforeSend` runs, e.g. while the target is SIGSTOPped) and reports what came back.
 */
export async function rawProduce(
  host: string,
  port: number,
  topic: string,
  partition: number,
  value: string,
  opts: { acks?: number; timeoutMs?: number; beforeSend?: () => void; conn?: KafkaConnection } = {},
): Promise<RawProduceResult> {
  const t0 = Date.now();
  const timeoutMs = opts.timeoutMs ?? 5000;
  let conn: KafkaConnection | null = opts.conn ?? null;
  try {
    if (!conn) conn = await KafkaConnection.connect({ host, port, clientId: 'runnel-e2e-raw-produce', connectTimeoutMs: 3000 });
    opts.beforeSend?.();
    const records = encodeRecordBatch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: [{ key: null, value: Buffer.from(value) }] });
    const res: any = await conn.send(
      ApiKey.Produce,
      7,
      { transactionalId: null, acks: opts.acks ?? -1, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] } as any,
      { timeoutMs: timeoutMs + 5000 },
    );
    const pr = res.responses[0].partitionResponses[0];
    return { errorCode: pr.errorCode, baseOffset: pr.baseOffset, transportError: null, ms: Date.now() - t0 };
  } catch (e) {
    return { errorCode: null, baseOffset: null, transportError: (e as Error).message, ms: Date.now() - t0 };
  } finally {
    if (!opts.conn) await conn?.close().catch(() => undefined);
  }
}

/** DescribeQuorum on a controller port: leader id and epoch (null when it doesn't answer). */
export async function describeQuorum(port: number, timeoutMs = 1500): Promise<{ errorCode: number; leaderId: number; leaderEpoch: number } | null> {
  let conn: KafkaConnection | null = null;
  try {
    conn = await KafkaConnection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 1000, clientId: 'runnel-e2e-quorum' });
    const r: any = await conn.send(ApiKey.DescribeQuorum, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] } as any, { timeoutMs });
    const p = r?.topics?.[0]?.partitions?.[0];
    return p ? { errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch } : null;
  } catch {
    return null;
  } finally {
    await conn?.close().catch(() => undefined);
  }
}

/** FindCoordinator v1 (group) asked of one broker: the coordinator's node id, or the error code. */
export async function findGroupCoordinator(port: number, groupId: string, timeoutMs = 3000): Promise<{ errorCode: number; nodeId: number }> {
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 2000, clientId: 'runnel-e2e-coordinator' });
  try {
    const r: any = await conn.send(ApiKey.FindCoordinator, 1, { key: groupId, keyType: 0 } as any, { timeoutMs });
    return { errorCode: r.errorCode, nodeId: r.nodeId };
  } finally {
    await conn.close().catch(() => undefined);
  }
}

export interface PartitionView {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

/** Metadata v7 asked of one broker (its own view): the live brokers and the topic's partitions. */
export async function metadataFrom(port: number, topic: string, timeoutMs = 3000): Promise<{ brokers: number[]; partitions: PartitionView[]; errorCode: number }> {
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port, connectTimeoutMs: 2000, clientId: 'runnel-e2e-metadata' });
  try {
    const r: any = await conn.send(
      ApiKey.Metadata,
      7,
      { topics: [{ topicId: ZERO_UUID, name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false } as any,
      { timeoutMs },
    );
    const t = r.topics[0];
    return {
      brokers: r.brokers.map((b: any) => b.nodeId).sort(),
      errorCode: t.errorCode,
      partitions: t.partitions
        .map((p: any) => ({ partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: [...p.isrNodes].sort() }))
        .sort((a: PartitionView, b: PartitionView) => a.partition - b.partition),
    };
  } finally {
    await conn.close().catch(() => undefined);
  }
}
