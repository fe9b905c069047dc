// Helpers for the group coordinator's unit tests: an in-memory __consumer_offsets writer, a coordinator that
// owns every offsets partition, and request builders with sensible defaults.
import { FakeClock } from '../clock';
import { encodeSubscription } from '../consumer-protocol';
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type GroupLogWriter,
  type JoinGroupParams,
  type OffsetsLogRecord,
} from '../group-coordinator';
import { AppendError } from '../group-errors';

export class MemoryLogWriter implements GroupLogWriter {
  readonly appended: { partition: number; records: OffsetsLogRecord[]; timestamp: number }[] = [];
  /** When set, appends fail with this Kafka error code. */
  failWith: number | null = null;
  /** When set, appends wait for this promise first (to test in-flight writes). */
  gate: Promise<void> | null = null;

  async append(partition: number, records: OffsetsLogRecord[], timestamp: number): Promise<void> {
    if (this.gate) await this.gate;
    if (this.failWith !== null) throw new AppendError(this.failWith, `injected append failure ${this.failWith}`);
    this.appended.push({ partition, records, timestamp });
  }

  /** Every record of one partition in append order. */
  records(partition: number): OffsetsLogRecord[] {
    return this.appended.filter((a) => a.partition === partition).flatMap((a) => a.records);
  }
}

export function setupCoordinator(config: Partial<GroupCoordinatorConfig> = {}, ownAll = true) {
  const clock = new FakeClock();
  const writer = new MemoryLogWriter();
  const logs: string[] = [];
  const coordinator = new GroupCoordinator({ ...DEFAULT_GROUP_COORDINATOR_CONFIG, groupInitialRebalanceDelayMs: 0, ...config }, clock, writer, {
    log: (level, msg) => logs.push(`${level} ${msg}`),
  });
  if (ownAll) {
    for (let p = 0; p < coordinator.config.offsetsTopicNumPartitions; p++) coordinator.beginLoad(p).complete(clock.now());
  }
  return { clock, writer, coordinator, logs };
}

export function joinParams(over: Partial<JoinGroupParams> = {}): JoinGroupParams {
  return {
    groupId: 'g',
    memberId: '',
    groupInstanceId: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription(['t']) }],
    requireKnownMemberId: false,
    ...over,
  };
}

/** Let pending promise callbacks run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface Tracked<T> {
  done: boolean;
  value?: T;
}

/** Observe a promise without awaiting it, to assert whether a parked request has been answered yet. */
export function track<T>(p: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { done: false };
  void p.then((v) => {
    t.done = true;
    t.value = v;
  });
  return t;
}
