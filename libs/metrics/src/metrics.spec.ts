import 'reflect-metadata';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Registry } from 'prom-client';
import { checkMetricName, createMetricsRegistry, MetricsFactory, startTimer } from './registry';
import { MetricsServer } from './server';
import { findSamples, parsePrometheusText } from './parse';
import { METRICS_REGISTRY, MetricsHttpService, MetricsModule } from './metrics.module';

async function get(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe('createMetricsRegistry', () => {
  it('creates a separate registry per app instance with default labels and process metrics', async () => {
    const a = createMetricsRegistry({ app: 'broker', nodeId: 1 });
    const b = createMetricsRegistry({ app: 'controller', nodeId: 2, defaultLabels: { cluster: 'c1' } });
    new MetricsFactory(a, 'broker').counter({ name: 'requests_total', help: 'x', labelNames: ['request'] }).inc({ request: 'Produce' });
    const textA = await a.metrics();
    const textB = await b.metrics();
    expect(findSamples(parsePrometheusText(textA), 'runnel_broker_requests_total', { request: 'Produce', app: 'broker', node_id: '1' })[0].value).toBe(1);
    expect(textB).not.toMatch(/runnel_broker_requests_total/);
    expect(textA).toMatch(/^process_cpu_user_seconds_total\{app="broker",node_id="1"\}/m);
    expect(textA).toMatch(/^nodejs_heap_size_used_bytes\{/m);
    const [info] = findSamples(parsePrometheusText(textB), 'runnel_build_info', { app: 'controller', cluster: 'c1', node_id: '2' });
    expect(info.value).toBe(1);
    expect(info.labels.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(info.labels.node_version).toBe(process.version);
  });

  it('can skip default metrics', async () => {
    const r = createMetricsRegistry({ app: 'x', defaultMetrics: false });
    expect(await r.metrics()).not.toMatch(/process_cpu/);
  });
});

describe('naming helpers', () => {
  it('enforce Prometheus naming', () => {
    expect(() => checkMetricName('runnel_broker_requests', 'counter')).toThrow(/_total/);
    expect(() => checkMetricName('broker_requests_total', 'counter')).toThrow(/runnel_/);
    expect(() => checkMetricName('runnel_broker_latency_ms', 'histogram')).toThrow(/base units/);
    expect(() => checkMetricName('runnel_broker_Bad', 'gauge')).toThrow(/snake/);
    expect(() => checkMetricName('runnel_broker_connections_total', 'gauge')).toThrow(/Only counters/);
    expect(() => checkMetricName('runnel_storage_log_size_bytes', 'gauge')).not.toThrow();
  });

  it('factory returns the same metric when asked twice and times histograms', async () => {
    const r = createMetricsRegistry({ app: 'broker', defaultMetrics: false });
    const f = new MetricsFactory(r, 'broker');
    expect(f.counter({ name: 'a_total', help: 'h' })).toBe(f.counter({ name: 'a_total', help: 'h' }));
    const h = f.histogram({ name: 'request_duration_seconds', help: 'h', labelNames: ['request'] });
    const stop = startTimer(h, { request: 'Fetch' });
    expect(stop()).toBeGreaterThanOrEqual(0);
    expect(findSamples(parsePrometheusText(await r.metrics()), 'runnel_broker_request_duration_seconds_count', { request: 'Fetch', app: 'broker' })[0].value).toBe(1);
    const g = f.gauge({ name: 'partitions', help: 'h', collect() { this.set(7); } });
    expect(g).toBeDefined();
    expect(findSamples(parsePrometheusText(await r.metrics()), 'runnel_broker_partitions')[0].value).toBe(7);
  });
});

describe('MetricsServer', () => {
  it('serves /metrics, /health/live and /health/ready (503 until ready)', async () => {
    let ready = false;
    const registry = createMetricsRegistry({ app: 'broker', nodeId: 1 });
    const server = new MetricsServer({ registry, port: 0, readiness: () => ({ ready, details: { phase: ready ? 'serving' : 'starting' } }) });
    await server.listen();
    try {
      const port = server.port!;
      const m = await get(port, '/metrics');
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/text\/plain/);
      expect(m.body).toMatch(/runnel_build_info/);
      expect((await get(port, '/health/live')).status).toBe(200);
      const notReady = await get(port, '/health/ready');
      expect(notReady.status).toBe(503);
      expect(JSON.parse(notReady.body)).toEqual({ status: 'not ready', phase: 'starting' });
      ready = true;
      const r = await get(port, '/health/ready');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ status: 'ready', phase: 'serving' });
      expect((await get(port, '/nope')).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('reports a busy port naming the config key, and can be disabled', async () => {
    const registry = createMetricsRegistry({ app: 'broker', defaultMetrics: false });
    const a = new MetricsServer({ registry, port: 0 });
    await a.listen();
    const b = new MetricsServer({ registry, port: a.port, portKey: 'controller.metrics.port' });
    await expect(b.listen()).rejects.toThrow(/controller.metrics.port.*EADDRINUSE/);
    await a.close();
    const off = new MetricsServer({ registry, port: -1 });
    await off.listen();
    expect(off.port).toBeNull();
    await off.close();
  });
});

describe('MetricsModule', () => {
  @Injectable()
  class Worker {
    constructor(@Inject(METRICS_REGISTRY) readonly registry: Registry) {}
  }

  @Controller()
  class Dummy {
    @Get('/x') x() { return 1; }
  }

  it('provides the registry and serves HTTP for the app lifetime', async () => {
    let ready = false;
    const registry = createMetricsRegistry({ app: 'controller', nodeId: 3 });
    @Module({ imports: [MetricsModule.forRoot({ registry, port: 0, readiness: () => ready })], providers: [Worker], controllers: [Dummy] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = moduleRef;
    await app.init();
    const http = app.get(MetricsHttpService);
    const port = http.port!;
    expect(app.get(Worker).registry).toBe(registry);
    expect((await get(port, '/health/ready')).status).toBe(503);
    ready = true;
    expect((await get(port, '/health/ready')).status).toBe(200);
    expect((await get(port, '/metrics')).body).toMatch(/node_id="3"/);
    await app.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
