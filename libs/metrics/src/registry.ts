import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const METRIC_PREFIX = 'runnel_';

/** Request latency buckets in seconds (0.5 ms .. 10 s), shared so dashboards line up across apps. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsRegistryOptions {
  /** App slug: broker, controller, ... (becomes the `app` default label and the metric subsystem). */
  app: string;
  /** Node id, as the `node_id` default label. */
  nodeId?: number | string;
  /** Extra labels on every series (e.g. cluster). */
  defaultLabels?: Record<string, string>;
  /** Process/Node.js default metrics (process_*, nodejs_*); default true. */
  defaultMetrics?: boolean;
  /** Version reported in runnel_build_info; default the workspace package version. */
  version?: string;
}

/**
 * One prom-client Registry per app instance (never the global one, so several nodes in one process
 * keep separate series), with default labels, Node.js process metrics and runnel_build_info.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  const labels: Record<string, string> = { app: options.app, ...(options.defaultLabels ?? {}) };
  if (options.nodeId !== undefined) labels.node_id = String(options.nodeId);
  registry.setDefaultLabels(labels);
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const info = new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'Build information; always 1',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  info.set({ version: options.version ?? workspaceVersion(), node_version: process.version }, 1);
  return registry;
}

let cachedVersion: string | undefined;

/** The workspace's package.json version, found by walking up from this file (works from src/ and dist/). */
function workspaceVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  cachedVersion = 'unknown';
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@runnel/source') {
        cachedVersion = pkg.version ?? 'unknown';
        break;
      }
    } catch {
      // not here; keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return cachedVersion;
}

/** Throws when a metric name breaks the project's Prometheus naming rules. */
export function checkMetricName(name: string, kind: 'counter' | 'gauge' | 'histogram'): void {
  if (!/^[a-z_:][a-z0-9_:]*$/.test(name)) throw new Error(`Metric name ${name} must be lower snake case`);
  if (!name.startsWith(METRIC_PREFIX)) throw new Error(`Metric name ${name} must start with ${METRIC_PREFIX}`);
  if (kind === 'counter' && !name.endsWith('_total')) throw new Error(`Counter ${name} must end with _total`);
  if (kind !== 'counter' && name.endsWith('_total')) throw new Error(`Only counters end with _total (${name})`);
  if (/_(ms|milliseconds|kb|mb|kilobytes|megabytes)(_|$)/.test(name)) throw new Error(`Metric ${name} must use base units (seconds, bytes)`);
}

interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
}

/** A factory bound to one registry and subsystem: `m.counter('requests_total', ...)` -> runnel_broker_requests_total. */
export class MetricsFactory {
  constructor(
    readonly registry: Registry,
    /** Subsystem, e.g. 'broker' -> names are runnel_broker_<name>. */
    readonly subsystem: string,
  ) {}

  name(short: string): string {
    return `${METRIC_PREFIX}${this.subsystem}_${short}`;
  }

  counter<L extends string = string>(spec: MetricSpec<L>): Counter<L> {
    const name = this.name(spec.name);
    checkMetricName(name, 'counter');
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ??
      new Counter<L>({ name, help: spec.help, labelNames: (spec.labelNames ?? []) as L[], registers: [this.registry] });
  }

  gauge<L extends string = string>(spec: MetricSpec<L> & { collect?: (this: Gauge<L>) => void | Promise<void> }): Gauge<L> {
    const name = this.name(spec.name);
    checkMetricName(name, 'gauge');
    return (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ??
      new Gauge<L>({ name, help: spec.help, labelNames: (spec.labelNames ?? []) as L[], registers: [this.registry], collect: spec.collect });
  }

  histogram<L extends string = string>(spec: MetricSpec<L> & { buckets?: number[] }): Histogram<L> {
    const name = this.name(spec.name);
    checkMetricName(name, 'histogram');
    return (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram<L>({ name, help: spec.help, labelNames: (spec.labelNames ?? []) as L[], buckets: spec.buckets ?? LATENCY_BUCKETS, registers: [this.registry] });
  }
}

/** Starts a timer; the returned function records elapsed seconds into the histogram. */
export function startTimer<L extends string>(h: Histogram<L>, labels?: Partial<Record<L, string | number>>): () => number {
  const start = process.hrtime.bigint();
  return () => {
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    if (labels) h.observe(labels, s);
    else h.observe(s);
    return s;
  };
}
