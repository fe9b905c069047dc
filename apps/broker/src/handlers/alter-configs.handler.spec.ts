import { Err } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { alterConfigsHandler } from './alter-configs.handler';

/** Legacy AlterConfigs on the controller: replace the resource's whole override set. */
function controllerFor(cluster: FakeCluster, calls: any[] = []) {
  return async (apiKey: number, version: number, body: any) => {
    calls.push({ apiKey, version, body });
    return {
      responses: body.resources.map((r: any) => {
        if (r.resourceType === 2 && !cluster.metadata.topic(r.resourceName)) {
          return { resourceType: 2, resourceName: r.resourceName, errorCode: Err.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'unknown' };
        }
        if (!body.validateOnly) {
          const current = r.resourceType === 2 ? cluster.metadata.topicConfigOverrides(r.resourceName) : cluster.metadata.brokerConfigOverrides(r.resourceName === '' ? '' : Number(r.resourceName));
          for (const k of [...current.keys()]) cluster.setConfig(r.resourceType, r.resourceName, k, null);
          for (const c of r.configs) cluster.setConfig(r.resourceType, r.resourceName, c.name, c.value);
        }
        return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 0, errorMessage: null };
      }),
    };
  };
}

const res = (resourceType: number, resourceName: string, configs: Array<[string, string | null]>) => ({
  resourceType,
  resourceName,
  configs: configs.map(([name, value]) => ({ name, value })),
});

describe('AlterConfigs', () => {
  it('replaces topic overrides through the controller and waits for them locally', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1, [1], { 'retention.ms': '1000' });
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster, calls) });
    const out = await alterConfigsHandler.handle(ctx, { resources: [res(2, 't', [['cleanup.policy', 'compact']])], validateOnly: false } as any);
    expect(out!.responses).toEqual([{ resourceType: 2, resourceName: 't', errorCode: 0, errorMessage: null }]);
    expect([...cluster.metadata.topicConfigOverrides('t')]).toEqual([['cleanup.policy', 'compact']]);
    expect(calls[0].apiKey).toBe(33);
  });

  it('rejects bad topic configs with INVALID_CONFIG before the controller', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 0, forward: controllerFor(cluster, calls) });
    const out = await alterConfigsHandler.handle(ctx, {
      resources: [res(2, 't', [['retention.ms', 'abc']]), res(2, 'u', [['no.such.config', '1']])],
      validateOnly: false,
    } as any);
    expect(out!.responses[0].errorCode).toBe(Err.INVALID_CONFIG);
    expect(out!.responses[0].errorMessage).toMatch(/retention\.ms/);
    // 'u' is unknown locally: the controller decides.
    expect(out!.responses[1].errorCode).toBe(Err.UNKNOWN_TOPIC_OR_PARTITION);
    expect(calls).toHaveLength(1);
  });

  it('refuses unknown resource types, BROKER_LOGGER, duplicates, other brokers and read-only broker keys', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster) });
    const out = await alterConfigsHandler.handle(ctx, {
      resources: [
        res(99, 'x', []),
        res(8, '1', [['root', 'DEBUG']]),
        res(2, 't', []),
        res(2, 't', []),
        res(4, '2', [['log.retention.ms', '5']]),
        res(4, '1', [['log.dirs', '/tmp'], ['num.partitions', '3']]),
        res(4, '', [['log.retention.ms', 'x']]),
        res(2, 'bad/name', []),
      ],
      validateOnly: false,
    } as any);
    expect(out!.responses.map((r) => [r.resourceType, r.resourceName, r.errorCode])).toEqual([
      [99, 'x', Err.INVALID_REQUEST],
      [8, '1', Err.INVALID_REQUEST],
      [2, 't', Err.INVALID_REQUEST],
      [4, '2', Err.INVALID_REQUEST],
      [4, '1', Err.INVALID_REQUEST],
      [4, '', Err.INVALID_REQUEST],
      [2, 'bad/name', Err.INVALID_TOPIC_EXCEPTION],
    ]);
    expect(out!.responses[2].errorMessage).toBe('Duplicate resource.');
    expect(out!.responses[4].errorMessage).toBe('Cannot update these configs dynamically: log.dirs, num.partitions');
  });

  it('forwards dynamic broker configs (cluster default and this broker)', async () => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: 2, forward: controllerFor(cluster) });
    const out = await alterConfigsHandler.handle(ctx, { resources: [res(4, '', [['log.retention.ms', '5000']])], validateOnly: false } as any);
    expect(out!.responses[0].errorCode).toBe(0);
    expect(cluster.metadata.brokerConfigOverrides('').get('log.retention.ms')).toBe('5000');
  });

  it('validate_only changes nothing', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster) });
    const out = await alterConfigsHandler.handle(ctx, { resources: [res(2, 't', [['retention.ms', '5']])], validateOnly: true } as any);
    expect(out!.responses[0].errorCode).toBe(0);
    expect(cluster.metadata.topicConfigOverrides('t').size).toBe(0);
  });
});
