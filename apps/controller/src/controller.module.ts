import { DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { KafkaConfig } from '@runnel/config';
import { MetricsModule } from '@runnel/metrics';
import { CONTROLLER_CONFIG, ControllerRuntime } from './controller.runtime';

export interface ControllerModuleOptions {
  config: KafkaConfig;
  registry: Registry;
  /** Readiness for /health/ready (the runtime is created by Nest, so bootstrap passes a late-bound check). */
  readiness: () => boolean;
}

/** The controller app: its runtime plus the metrics/health HTTP server on controller.metrics.port. */
@Module({})
export class ControllerModule {
  static forRoot(options: ControllerModuleOptions): DynamicModule {
    const config = options.config;
    return {
      module: ControllerModule,
      imports: [
        MetricsModule.forRoot({
          registry: options.registry,
          port: config.getInt('controller.metrics.port'),
          host: config.getString('metrics.host'),
          readiness: options.readiness,
          portKey: 'controller.metrics.port',
        }),
      ],
      providers: [{ provide: CONTROLLER_CONFIG, useValue: config }, ControllerRuntime],
      exports: [ControllerRuntime],
    };
  }
}
