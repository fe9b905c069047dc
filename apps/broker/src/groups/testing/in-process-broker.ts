// A single broker served over real TCP from inside the test process, on the in-memory fakes (no controller:
// topics are added straight to the metadata image). Lets real clients (kafkajs) exercise the group protocol
// end to end in a unit-test run, independent of the controller and the launcher.
import { Dispatcher } from '../../api/dispatcher';
import { HANDLERS } from '../../handlers';
import { KafkaServer } from '../../server/kafka-server';
import { fakeBroker, type FakeBroker } from '../../testing/fakes';
import { createLogger, silentLogger } from '../../util/logger';
import { groupCoordinatorFor, stopGroupCoordinator } from '../group-coordinator.service';

export interface InProcessBroker {
  fb: FakeBroker;
  port: number;
  bootstrap: string;
  close(): Promise<void>;
}

export async function startInProcessBroker(props: Record<string, unknown> = {}): Promise<InProcessBroker> {
  const fb = await fakeBroker(HANDLERS, { 'group.initial.rebalance.delay.ms': 0, ...props });
  const dispatcher = new Dispatcher(fb.registry, fb.services);
  const server = new KafkaServer({
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 0, securityProtocol: 'PLAINTEXT' }],
    handler: (frame, conn) => dispatcher.handleFrame(frame, conn),
    maxRequestBytes: 100 * 1024 * 1024,
    idleTimeoutMs: 600_000,
    log: silentLogger,
    metrics: fb.services.metrics,
  });
  const [bound] = await server.bind();
  const port = bound.boundPort;
  // Re-register broker 1 with the real port so Metadata and FindCoordinator hand out a reachable endpoint.
  fb.image.apply({
    name: 'RegisterBrokerRecord',
    data: {
      brokerId: 1,
      brokerEpoch: 1n,
      incarnationId: 'y',
      endPoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 0 }],
      features: [],
      rack: null,
      fenced: false,
    },
  } as any);
  (fb.services.listeners as any[]).splice(0, 1, { name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 'PLAINTEXT' });
  // RUNNEL_GROUPS_DEBUG=1 shows the coordinator's log lines.
  if (process.env.RUNNEL_GROUPS_DEBUG === '1') (fb.services as { log: unknown }).log = createLogger('in-process-broker', 10);
  const partitions = Number(props['offsets.topic.num.partitions'] ?? 50);
  await fb.addTopic('__consumer_offsets', partitions);
  groupCoordinatorFor(fb.services);
  server.open();
  return {
    fb,
    port,
    bootstrap: `127.0.0.1:${port}`,
    async close() {
      stopGroupCoordinator(fb.services);
      await server.close();
      fb.services.fetchWaiter.close();
    },
  };
}
