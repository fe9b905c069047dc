// kafkajs 2.2.4 consumer groups against a broker served in-process over TCP (see testing/in-process-broker.ts):
// members joining and leaving while a producer runs, committed offsets surviving a restart, and the admin calls
// kafkajs makes for groups. The multi-process versions with every client live in apps/interop-e2e.
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { groupCoordinatorFor } from './group-coordinator.service';
import { startInProcessBroker, type InProcessBroker } from './testing/in-process-broker';

jest.setTimeout(90_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('kafkajs consumer groups (in-process broker)', () => {
  let broker: InProcessBroker;
  let kafka: Kafka;

  beforeEach(async () => {
    broker = await startInProcessBroker({ 'offsets.topic.num.partitions': 5 });
    kafka = new Kafka({ clientId: 'groups-spec', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  });

  afterEach(async () => {
    await broker.close();
  });

  function consumerOpts(groupId: string) {
    return { groupId, sessionTimeout: 10_000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 };
  }

  it('three members join and leave one at a time while a producer runs: every record is consumed', async () => {
    await broker.fb.addTopic('orders', 3);
    const producer = kafka.producer();
    await producer.connect();
    const seen = new Map<string, number>();
    const consumers: Consumer[] = [];
    let produced = 0;
    let producing = true;
    const producerLoop = (async () => {
      while (producing) {
        const batch = Array.from({ length: 10 }, () => ({ key: `k${produced % 7}`, value: `v${produced++}` }));
        await producer.send({ topic: 'orders', messages: batch });
        await sleep(30);
      }
    })();
    const onMessage = async ({ message }: EachMessagePayload) => {
      const v = message.value!.toString();
      seen.set(v, (seen.get(v) ?? 0) + 1);
    };
    for (let i = 0; i < 3; i++) {
      const c = kafka.consumer(consumerOpts('orders-group'));
      await c.connect();
      await c.subscribe({ topic: 'orders', fromBeginning: true });
      await c.run({ eachMessage: onMessage, autoCommitInterval: 200 });
      consumers.push(c);
      await sleep(1_500);
    }
    const coordinator = groupCoordinatorFor(broker.fb.services).coordinator;
    expect(coordinator.group('orders-group')!.size).toBe(3);
    for (const c of consumers.splice(0, 2)) {
      await c.disconnect();
      await sleep(1_500);
    }
    producing = false;
    await producerLoop;
    await until(() => seen.size === produced, 30_000, `all ${produced} records (seen ${seen.size})`);
    // Joins at generations 1-3, two leaves at 4-5.
    expect(coordinator.group('orders-group')!.generationId).toBeGreaterThanOrEqual(5);
    expect(coordinator.group('orders-group')!.size).toBe(1);
    const redelivered = [...seen.values()].filter((n) => n > 1).length;
    // Re-deliveries only happen for records after a member's last commit before a rebalance.
    expect(redelivered).toBeLessThan(produced / 2);
    for (const c of consumers) await c.disconnect();
    await producer.disconnect();
  });

  it('a restarted consumer resumes from its committed offsets; eachBatch, pause/resume and seek work', async () => {
    await broker.fb.addTopic('resume', 1);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'resume', messages: Array.from({ length: 20 }, (_, i) => ({ value: `a${i}` })) });

    const first: string[] = [];
    const c1 = kafka.consumer(consumerOpts('resume-group'));
    await c1.connect();
    await c1.subscribe({ topic: 'resume', fromBeginning: true });
    await c1.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const m of batch.messages) {
          first.push(m.value!.toString());
          resolveOffset(m.offset);
        }
        await heartbeat();
      },
    });
    await until(() => first.length === 20, 20_000, 'first 20 records');
    await c1.disconnect(); // commits on the way out

    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: 'resume-group', topics: ['resume'] });
    expect(offsets[0].partitions[0].offset).toBe('20');
    await producer.send({ topic: 'resume', messages: Array.from({ length: 5 }, (_, i) => ({ value: `b${i}` })) });

    const second: string[] = [];
    const c2 = kafka.consumer(consumerOpts('resume-group'));
    await c2.connect();
    await c2.subscribe({ topic: 'resume', fromBeginning: true });
    await c2.run({ eachMessage: async ({ message }) => void second.push(message.value!.toString()) });
    await until(() => second.length >= 5, 20_000, 'the 5 new records');
    expect(second).toEqual(['b0', 'b1', 'b2', 'b3', 'b4']);

    // pause / resume
    c2.pause([{ topic: 'resume' }]);
    await producer.send({ topic: 'resume', messages: [{ value: 'c0' }] });
    await sleep(800);
    expect(second).toHaveLength(5);
    c2.resume([{ topic: 'resume' }]);
    await until(() => second.length === 6, 10_000, 'record after resume');
    // seek back to the start of the topic
    c2.seek({ topic: 'resume', partition: 0, offset: '0' });
    await until(() => second.length >= 6 + 26, 10_000, 'records after seek');
    expect(second.slice(6, 8)).toEqual(['a0', 'a1']);

    const groups = await admin.listGroups();
    expect(groups.groups).toContainEqual({ groupId: 'resume-group', protocolType: 'consumer' });
    const described = await admin.describeGroups(['resume-group']);
    expect(described.groups[0]).toMatchObject({ groupId: 'resume-group', state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(described.groups[0].members).toHaveLength(1);
    await c2.disconnect();
    await admin.deleteGroups(['resume-group']);
    const after = await admin.fetchOffsets({ groupId: 'resume-group', topics: ['resume'] });
    expect(after[0].partitions[0].offset).toBe('-1');
    await admin.disconnect();
    await producer.disconnect();
  });
});
