import { ConfigSource, ConfigTypeId, Err, ResourceType } from '../admin/constants';
import { FakeCluster } from '../admin/fake-context';
import { describeConfigsHandler } from './describe-configs.handler';

const res = (resourceType: number, resourceName: string, configurationKeys: string[] | null = null) => ({ resourceType, resourceName, configurationKeys });

describe('DescribeConfigs', () => {
  const cluster = new FakeCluster();
  cluster.createTopic('orders', 1, [1], { 'retention.ms': '1000' });

  it('describes a topic with overrides, defaults and static broker values (v1 with synonyms)', async () => {
    const ctx = cluster.context({ apiVersion: 1, props: { 'log.segment.bytes': 1048576 } });
    const out = await describeConfigsHandler.handle(ctx, { resources: [res(ResourceType.TOPIC, 'orders')], includeSynonyms: true, includeDocumentation: false } as any);
    const r = out!.results[0];
    expect(r).toMatchObject({ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders' });
    const byName = new Map(r.configs.map((c) => [c.name, c]));
    expect(byName.get('retention.ms')).toMatchObject({ value: '1000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, readOnly: false });
    expect(byName.get('retention.ms')!.synonyms[0]).toEqual({ name: 'retention.ms', value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    expect(byName.get('segment.bytes')).toMatchObject({ value: '1048576', configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(byName.get('cleanup.policy')).toMatchObject({ value: 'delete', configSource: ConfigSource.DEFAULT_CONFIG, isDefault: true });
    expect(byName.get('cleanup.policy')!.documentation).toBeNull();
  });

  it('filters by configuration keys; no synonyms unless asked; docs only v3+', async () => {
    const ctx = cluster.context({ apiVersion: 3 });
    const out = await describeConfigsHandler.handle(ctx, {
      resources: [res(ResourceType.TOPIC, 'orders', ['cleanup.policy', 'retention.ms'])],
      includeSynonyms: false,
      includeDocumentation: true,
    } as any);
    const cfgs = out!.results[0].configs;
    expect(cfgs.map((c) => c.name)).toEqual(['cleanup.policy', 'retention.ms']);
    expect(cfgs.every((c) => c.synonyms.length === 0)).toBe(true);
    expect(typeof cfgs[0].documentation).toBe('string');
    expect(cfgs[0].configType).toBe(ConfigTypeId.LIST);
    const v2 = await describeConfigsHandler.handle(cluster.context({ apiVersion: 2 }), {
      resources: [res(ResourceType.TOPIC, 'orders', ['cleanup.policy'])],
      includeSynonyms: false,
      includeDocumentation: true,
    } as any);
    expect(v2!.results[0].configs[0].documentation).toBeNull();
  });

  it('unknown and illegal topics get per-resource errors', async () => {
    const ctx = cluster.context({ apiVersion: 2 });
    const out = await describeConfigsHandler.handle(ctx, { resources: [res(2, 'nope'), res(2, 'bad name!'), res(2, 'orders')] } as any);
    expect(out!.results.map((r) => r.errorCode)).toEqual([Err.UNKNOWN_TOPIC_OR_PARTITION, Err.INVALID_TOPIC_EXCEPTION, 0]);
    expect(out!.results[0].errorMessage).toBe("The topic 'nope' does not exist.");
  });

  it('describes this broker, the cluster default resource, and rejects other broker ids', async () => {
    cluster.setConfig(4, '', 'log.retention.ms', '5000');
    const ctx = cluster.context({ apiVersion: 1, props: { 'num.partitions': 3 } });
    const out = await describeConfigsHandler.handle(ctx, { resources: [res(4, '1'), res(4, ''), res(4, '2'), res(4, 'x')], includeSynonyms: true } as any);
    const [mine, dflt, other, bad] = out!.results;
    expect(mine.errorCode).toBe(0);
    const np = mine.configs.find((c) => c.name === 'num.partitions')!;
    expect(np).toMatchObject({ value: '3', configSource: ConfigSource.STATIC_BROKER_CONFIG });
    expect(mine.configs.find((c) => c.name === 'log.retention.ms')).toMatchObject({ value: '5000', configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(dflt.configs.map((c) => c.name)).toEqual(['log.retention.ms']);
    expect(other).toMatchObject({ errorCode: Err.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1 or empty string, but received 2' });
    expect(bad.errorCode).toBe(Err.INVALID_REQUEST);
    cluster.setConfig(4, '', 'log.retention.ms', null);
  });

  it('v0 marks defaults with isDefault', async () => {
    const out = await describeConfigsHandler.handle(cluster.context({ apiVersion: 0 }), { resources: [res(2, 'orders', ['retention.ms', 'cleanup.policy'])] } as any);
    const [cp, rm] = out!.results[0].configs;
    expect(cp.isDefault).toBe(true);
    expect(rm.isDefault).toBe(false);
  });

  it('BROKER_LOGGER lists log levels and needs this broker id', async () => {
    const out = await describeConfigsHandler.handle(cluster.context({ apiVersion: 2 }), { resources: [res(8, '1'), res(8, '')] } as any);
    expect(out!.results[0].configs.find((c) => c.name === 'root')).toMatchObject({ configSource: ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG });
    expect(out!.results[1].errorCode).toBe(Err.INVALID_REQUEST);
  });

  it('unknown resource types are INVALID_REQUEST', async () => {
    const out = await describeConfigsHandler.handle(cluster.context({ apiVersion: 4 }), { resources: [res(99, 'x'), res(0, 'y')] } as any);
    expect(out!.results.map((r) => r.errorCode)).toEqual([Err.INVALID_REQUEST, Err.INVALID_REQUEST]);
  });
});
