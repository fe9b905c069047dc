import { AlterConfigOp, Err } from '../admin/constants';
import { brokerLoggersFor } from '../admin/broker-loggers';
import { FakeCluster } from '../admin/fake-context';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.handler';

function controllerFor(cluster: FakeCluster, calls: any[] = []) {
  return async (apiKey: number, version: number, body: any) => {
    calls.push({ apiKey, version, body });
    return {
      responses: body.resources.map((r: any) => {
        if (!body.validateOnly) {
          for (const c of r.configs) {
            if (c.configOperation === AlterConfigOp.SET) cluster.setConfig(r.resourceType, r.resourceName, c.name, c.value);
            if (c.configOperation === AlterConfigOp.DELETE) cluster.setConfig(r.resourceType, r.resourceName, c.name, null);
          }
        }
        return { resourceType: r.resourceType, resourceName: r.resourceName, errorCode: 0, errorMessage: null };
      }),
    };
  };
}

const res = (resourceType: number, resourceName: string, configs: Array<[string, number, string | null]>) => ({
  resourceType,
  resourceName,
  configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })),
});

describe('IncrementalAlterConfigs', () => {
  it('SET and DELETE on a topic are forwarded and visible locally afterwards', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1, [1], { 'retention.ms': '1000' });
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster, calls) });
    const out = await incrementalAlterConfigsHandler.handle(ctx, {
      resources: [res(2, 't', [['cleanup.policy', AlterConfigOp.SET, 'compact'], ['retention.ms', AlterConfigOp.DELETE, null]])],
      validateOnly: false,
    } as any);
    expect(out!.responses[0]).toEqual({ resourceType: 2, resourceName: 't', errorCode: 0, errorMessage: null });
    expect(calls[0].apiKey).toBe(44);
    expect(calls[0].body.resources[0].configs[1]).toEqual({ name: 'retention.ms', configOperation: 1, value: null });
    expect([...cluster.metadata.topicConfigOverrides('t')]).toEqual([['cleanup.policy', 'compact']]);
  });

  it('APPEND/SUBTRACT need a LIST config; unknown ops and duplicate keys are INVALID_REQUEST', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const ctx = cluster.context({ apiVersion: 0, forward: controllerFor(cluster) });
    const out = await incrementalAlterConfigsHandler.handle(ctx, {
      resources: [
        res(2, 't', [['retention.ms', AlterConfigOp.APPEND, '5']]),
        res(4, '1', [['log.retention.ms', 9, '5']]),
        res(4, '', [['log.retention.ms', 0, '5'], ['log.retention.ms', 1, null]]),
      ],
      validateOnly: false,
    } as any);
    expect(out!.responses.map((r) => r.errorCode)).toEqual([Err.INVALID_CONFIG, Err.INVALID_REQUEST, Err.INVALID_REQUEST]);
    expect(out!.responses[0].errorMessage).toBe("Can't APPEND to key retention.ms because its type is not LIST.");
  });

  it('APPEND to cleanup.policy is forwarded', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const calls: any[] = [];
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster, calls) });
    const out = await incrementalAlterConfigsHandler.handle(ctx, { resources: [res(2, 't', [['cleanup.policy', AlterConfigOp.APPEND, 'compact']])], validateOnly: false } as any);
    expect(out!.responses[0].errorCode).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('BROKER_LOGGER is applied locally: set, validate, delete, root protected', async () => {
    const cluster = new FakeCluster();
    const ctx = cluster.context({ apiVersion: 1, forward: controllerFor(cluster) });
    const loggers = brokerLoggersFor(ctx.services);
    const out = await incrementalAlterConfigsHandler.handle(ctx, {
      resources: [res(8, '1', [['broker-1.net', AlterConfigOp.SET, 'DEBUG']])],
      validateOnly: false,
    } as any);
    expect(out!.responses[0].errorCode).toBe(0);
    expect(loggers.level('broker-1.net')).toBe('DEBUG');
    const bad = await incrementalAlterConfigsHandler.handle(ctx, {
      resources: [
        res(8, '1', [['broker-1.net', AlterConfigOp.SET, 'LOUD']]),
      ],
      validateOnly: false,
    } as any);
    expect(bad!.responses[0].errorCode).toBe(Err.INVALID_CONFIG);
    const more = await incrementalAlterConfigsHandler.handle(ctx, { resources: [res(8, '1', [['nope.logger', 0, 'INFO']]), res(8, '2', [])], validateOnly: false } as any);
    expect(more!.responses.map((r) => r.errorCode)).toEqual([Err.INVALID_CONFIG, Err.INVALID_REQUEST]);
    const root = await incrementalAlterConfigsHandler.handle(ctx, { resources: [res(8, '1', [['root', AlterConfigOp.DELETE, null]])], validateOnly: false } as any);
    expect(root!.responses[0].errorCode).toBe(Err.INVALID_REQUEST);
    await incrementalAlterConfigsHandler.handle(ctx, { resources: [res(8, '1', [['broker-1.net', AlterConfigOp.DELETE, null]])], validateOnly: false } as any);
    expect(loggers.level('broker-1.net')).toBe(loggers.level('root'));
  });

  it('controller unreachable: REQUEST_TIMED_OUT, local resources still answered', async () => {
    const cluster = new FakeCluster();
    cluster.createTopic('t', 1);
    const ctx = cluster.context({ apiVersion: 1, forward: async () => {
      throw new Error('ECONNREFUSED');
    } });
    const started = Date.now();
    const out = await incrementalAlterConfigsHandler.handle(ctx, {
      resources: [res(2, 't', [['retention.ms', 0, '10']]), res(8, '1', [['root', 0, 'WARN']])],
      validateOnly: true,
    } as any);
    expect(out!.responses.map((r) => r.errorCode)).toEqual([Err.REQUEST_TIMED_OUT, 0]);
    expect(out!.responses[0].errorMessage).toBe('ECONNREFUSED');
    expect(Date.now() - started).toBeGreaterThan(1000);
  }, 20000);
});
