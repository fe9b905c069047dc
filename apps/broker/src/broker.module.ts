// The broker as a Nest application: the module owns the /metrics + /health HTTP server (MetricsModule); the Kafka
// listeners, logs and controller link are started by bootstrap.ts around it.
import { DynamicModule, Module } from '@nestjs/common';
import type { Registry } from 'prom-client';
import type { KafkaConfig } from '@runnel/config';
import { MetricsModule } from '@runnel/metrics';
import type { HealthState } from '@runnel/metrics';

export const BROKER_CONFIG = 'RUNNEL_BROKER_CONFIG';

export interface BrokerModuleOptions {
  readonly config: KafkaConfig;
  readonly registry: Registry;
  readonly readiness: () => HealthState;
}

@Module({})
export class BrokerModule {
  static forRoot(options: BrokerModuleOptions): DynamicModule {
    const { config } = options;
    return {
      module: BrokerModule,
      imports: [
        MetricsModule.forRoot({
          registry: options.registry,
          port: config.getInt('metrics.port'),
          host: config.getString('metrics.host'),
          readiness: options.readiness,
          portKey: 'metrics.port',
        }),
      ],
      providers: [{ provide: BROKER_CONFIG, useValue: config }],
    };
  }
}
