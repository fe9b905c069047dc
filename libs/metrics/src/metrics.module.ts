import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { MetricsServer, MetricsServerOptions, ReadinessCheck } from './server';

export const METRICS_REGISTRY = 'RUNNEL_METRICS_REGISTRY';
export const METRICS_MODULE_OPTIONS = 'RUNNEL_METRICS_MODULE_OPTIONS';

export interface MetricsModuleOptions {
  registry: Registry;
  /** HTTP port for /metrics and /health; 0 = any free port; -1 = disabled. */
  port: number;
  host?: string;
  readiness?: ReadinessCheck;
  /** Config key to name in errors (metrics.port or controller.metrics.port). */
  portKey?: string;
}

/** Runs the MetricsServer for the lifetime of the Nest app: listens on init, closes last on shutdown. */
@Injectable()
export class MetricsHttpService implements OnModuleInit, OnApplicationShutdown {
  readonly server: MetricsServer;

  constructor(@Inject(METRICS_MODULE_OPTIONS) options: MetricsModuleOptions) {
    const serverOptions: MetricsServerOptions = {
      registry: options.registry,
      port: options.port,
      host: options.host,
      readiness: options.readiness,
      portKey: options.portKey,
    };
    this.server = new MetricsServer(serverOptions);
  }

  /** Bound port (useful with port 0), or null when disabled. */
  get port(): number | null {
    return this.server.port;
  }

  async onModuleInit(): Promise<void> {
    // Listen early: /health/live answers and /health/ready says 503 while the app is still starting.
    await this.server.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    // Last, so /metrics stays scrapeable while the app drains.
    await this.server.close();
  }
}

/**
 * `MetricsModule.forRoot({ registry, port, host, readiness })`: provides the app's registry under
 * METRICS_REGISTRY (inject with `@Inject(METRICS_REGISTRY) registry: Registry`) and serves
 * /metrics, /health/live and /health/ready over HTTP.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsModuleOptions): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      providers: [
        { provide: METRICS_MODULE_OPTIONS, useValue: options },
        { provide: METRICS_REGISTRY, useValue: options.registry },
        MetricsHttpService,
      ],
      exports: [METRICS_REGISTRY, MetricsHttpService],
    };
  }
}
