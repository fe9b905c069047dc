// /metrics and /health on a running node: the series an operator looks for, Prometheus naming.
import { findSamples, parsePrometheusText, sumSamples } from '@runnel/metrics';
import { httpGet, RunnelNode } from '@runnel/testing';
import { kafkajs } from './support/kafkajs';
import { eventually, startNode, withLogs } from './support/nodes';

let node: RunnelNode;

beforeAll(async () => {
  node = await startNode('metrics');
});

afterAll(async () => {
  await node?.cleanup();
});

function typeLines(text: string): Array<{ name: string; type: string }> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => {
      const [, , name, type] = l.split(' ');
      return { name, type };
    });
}

describe('/metrics and /health', () => {
  it('serves live and ready on both the broker and the controller port', () =>
    withLogs(node, async () => {
      for (const port of [node.metricsPort, node.controllerMetricsPort]) {
        expect((await httpGet('127.0.0.1', port, '/health/live')).status).toBe(200);
        expect((await httpGet('127.0.0.1', port, '/health/ready')).status).toBe(200);
      }
    }));

  it('counts requests, errors, latency and per-topic traffic in runnel_broker_* series', () =>
    withLogs(node, async () => {
      const { kafka } = kafkajs(node.bootstrap, 'metrics-e2e');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'm-topic', numPartitions: 1 }], waitForLeaders: true });
      await expect(admin.createTopics({ topics: [{ topic: 'bad topic!' }] })).rejects.toThrow();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'm-topic', messages: Array.from({ length: 7 }, (_, i) => ({ value: `m${i}` })) });
      await producer.disconnect();
      await admin.disconnect();

      const text = await node.metrics('broker');
      const s = parsePrometheusText(text);
      expect(sumSamples(s, 'runnel_broker_requests_total', { request: 'Produce' })).toBeGreaterThanOrEqual(1);
      expect(sumSamples(s, 'runnel_broker_requests_total', { request: 'ApiVersions' })).toBeGreaterThanOrEqual(1);
      expect(sumSamples(s, 'runnel_broker_requests_total', { request: 'Metadata' })).toBeGreaterThanOrEqual(1);
      expect(sumSamples(s, 'runnel_broker_requests_total', { request: 'CreateTopics' })).toBeGreaterThanOrEqual(2);
      expect(sumSamples(s, 'runnel_broker_request_errors_total', { request: 'CreateTopics', error: 'INVALID_TOPIC_EXCEPTION' })).toBeGreaterThanOrEqual(1);
      expect(sumSamples(s, 'runnel_broker_request_duration_seconds_count', { request: 'Produce' })).toBeGreaterThanOrEqual(1);
      expect(findSamples(s, 'runnel_broker_request_duration_seconds_bucket', { request: 'Produce', le: '+Inf' }).length).toBe(1);
      expect(sumSamples(s, 'runnel_broker_topic_messages_in_total', { topic: 'm-topic' })).toBe(7);
      expect(sumSamples(s, 'runnel_broker_topic_bytes_in_total', { topic: 'm-topic' })).toBeGreaterThan(7 * 2);
      expect(findSamples(s, 'runnel_broker_connections').length).toBeGreaterThanOrEqual(1);
      expect(findSamples(s, 'process_cpu_user_seconds_total').length).toBe(1);
      expect(findSamples(s, 'nodejs_heap_size_used_bytes').length).toBe(1);
      expect(findSamples(s, 'runnel_broker_requests_total', { request: 'Produce' })[0].labels.node_id).toBe('1');
    }));

  it('exposes controller state in runnel_controller_* series', () =>
    withLogs(node, async () => {
      const s = await eventually(async () => {
        const parsed = parsePrometheusText(await node.metrics('controller'));
        return parsed.some((x) => x.name.startsWith('runnel_controller_')) ? parsed : undefined;
      }, 10_000);
      const names = new Set(s.filter((x) => x.name.startsWith('runnel_controller_')).map((x) => x.name));
      expect(names.size).toBeGreaterThanOrEqual(3);
      expect(s.some((x) => x.name.startsWith('runnel_broker_'))).toBe(false);
      // The gauges an operator alerts on (Kafka's ActiveControllerCount, FencedBrokerCount, GlobalTopicCount).
      const one = (name: string) => {
        const found = findSamples(s, name);
        expect([name, found.length]).toEqual([name, 1]);
        return found[0].value;
      };
      expect(one('runnel_controller_active_controller')).toBe(1);
      expect(one('runnel_controller_registered_brokers')).toBe(1);
      expect(one('runnel_controller_fenced_brokers')).toBe(0);
      expect(one('runnel_controller_topics')).toBeGreaterThanOrEqual(1); // m-topic from the test above
      expect(one('runnel_controller_offline_partitions')).toBe(0);
      expect(one('runnel_controller_raft_high_watermark')).toBeGreaterThan(0);
    }));

  it('follows Prometheus naming: runnel_ prefix, _total counters, base units', () =>
    withLogs(node, async () => {
      for (const which of ['broker', 'controller'] as const) {
        const types = typeLines(await node.metrics(which));
        const ours = types.filter((t) => t.name.startsWith('runnel_'));
        expect(ours.length).toBeGreaterThan(3);
        for (const t of ours) {
          if (t.type === 'counter') expect(t.name).toMatch(/_total$/);
          else expect(t.name).not.toMatch(/_total$/);
          expect(t.name).not.toMatch(/_(ms|milliseconds|millis|kb|mb)(_|$)/);
          expect(t.name).toMatch(/^[a-z0-9_]+$/);
        }
        const foreign = types.filter((t) => !/^(runnel_|process_|nodejs_)/.test(t.name));
        expect(foreign).toEqual([]);
      }
    }));
});
