// Replicated produce: 1 controller and 3 broker processes on loopback, raw Produce v9 requests of 16 KiB batches
// (16 records of 1 KiB, uncompressed) with several requests in flight, to a replication-factor-1 topic with
// acks=1 and to a replication-factor-3 topic (min.insync.replicas=2) with acks=1 and acks=all. Prints MB/s and
// per-request latency percentiles; the gap between the rows is what replication costs on this machine.
import { KafkaConnection } from '@runnel/client';
import { ApiKey, encodeRecordBatch } from '@runnel/protocol';
import { RunnelCluster } from '@runnel/testing';

const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 8);
const SECONDS = 5;

interface Row {
  label: string;
  mbps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function leaderOf(conn: KafkaConnection, topic: string): Promise<{ host: string; port: number }> {
  for (let i = 0; i < 100; i++) {
    const md = await conn.send<any>(ApiKey.Metadata, 12, { topics: [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const t = md.topics?.[0];
    const p = t?.partitions?.[0];
    if (t && t.errorCode === 0 && p && p.leaderId >= 0 && p.isrNodes.length === p.replicaNodes.length) {
      const b = md.brokers.find((x: any) => x.nodeId === p.leaderId);
      if (b) return { host: b.host, port: b.port };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no leader for ${topic}`);
}

async function run(bootstrap: { host: string; port: number }, topic: string, rf: number, acks: number): Promise<Row> {
  const admin = await KafkaConnection.connect({ ...bootstrap, clientId: 'bench-admin' });
  await admin.send(ApiKey.CreateTopics, 7, {
    topics: [{ name: topic, numPartitions: 1, replicationFactor: rf, assignments: [], configs: [{ name: 'min.insync.replicas', value: String(Math.min(2, rf)) }] }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  const leader = await leaderOf(admin, topic);
  await admin.close();
  const conn = await KafkaConnection.connect({ ...leader, clientId: 'bench-producer' });
  const records = encodeRecordBatch({
    records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: Buffer.alloc(RECORD_BYTES, i), timestamp: Date.now() })),
  });
  const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] };
  const latencies: number[] = [];
  let bytes = 0;
  let errors = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (Date.now() < deadline) {
        const t0 = process.hrtime.bigint();
        const res = await conn.send<any>(ApiKey.Produce, 9, body);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (res.responses[0].partitionResponses[0].errorCode !== 0) errors++;
        else bytes += records.length;
      }
    }),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  await conn.close();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { label: `RF${rf} acks=${acks === -1 ? 'all' : acks}`, mbps: bytes / secs / 1e6, p50: pct(0.5), p99: pct(0.99), errors };
}

export async function runReplicationBench(): Promise<void> {
  console.log(`replication: ${RECORDS_PER_BATCH} x ${RECORD_BYTES} B batches, ${IN_FLIGHT} requests in flight, ${SECONDS} s per row, 3 broker processes`);
  const cluster = await RunnelCluster.start({ controllers: 1, brokers: 3, namePrefix: 'bench' });
  try {
    const [host, port] = cluster.brokers[0].bootstrap.split(':');
    const bootstrap = { host, port: Number(port) };
    const rows = [await run(bootstrap, 'bench-rf1', 1, 1), await run(bootstrap, 'bench-rf3-acks1', 3, 1), await run(bootstrap, 'bench-rf3-acksall', 3, -1)];
    for (const r of rows) {
      console.log(`  ${r.label.padEnd(14)} ${r.mbps.toFixed(1).padStart(7)} MB/s   latency p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${r.errors ? `, ${r.errors} errors` : ''}`);
    }
  } finally {
    await cluster.stop().catch(() => undefined);
    await cluster.cleanup().catch(() => undefined);
  }
}
