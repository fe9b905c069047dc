import 'reflect-metadata';
import { LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { KafkaConfig } from '@runnel/config';
import { createMetricsRegistry, MetricsHttpService } from '@runnel/metrics';
import { ControllerModule } from './controller.module';
import { ControllerRuntime } from './controller.runtime';

export interface RunningController {
  close(): Promise<void>;
  /** Bound port of the controller listener. */
  port: number;
  /** Bound port of /metrics and /health, or null when disabled. */
  metricsPort: number | null;
  clusterId: string;
  runtime: ControllerRuntime;
}

export interface StartControllerOptions {
  /** Levels of Nest's own framework messages (default warn, error); the controller's lines follow RUNNEL_LOG_LEVEL. */
  logLevels?: LogLevel[];
}

/** Starts a controller (the Raft metadata quorum member and its Kafka listener) from a node config. */
export async function startController(config: KafkaConfig, options: StartControllerOptions = {}): Promise<RunningController> {
  const registry = createMetricsRegistry({ app: 'controller', nodeId: config.nodeId });
  let runtime: ControllerRuntime | null = null;
  const app = await NestFactory.createApplicationContext(
    ControllerModule.forRoot({ config, registry, readiness: () => runtime?.ready ?? false }),
    { logger: options.logLevels ?? ['warn', 'error'], abortOnError: false },
  );
  const rt = app.get(ControllerRuntime);
  runtime = rt;
  try {
    await rt.start();
  } catch (e) {
    await app.close().catch(() => undefined);
    throw e;
  }
  let closing: Promise<void> | null = null;
  return {
    close: () => (closing ??= app.close()),
    port: rt.port,
    metricsPort: app.get(MetricsHttpService).port,
    clusterId: rt.clusterId,
    runtime: rt,
  };
}
