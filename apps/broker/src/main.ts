// Standalone broker (process.roles=broker): loads the configuration the Kafka way (properties file, --override,
// KAFKA_* environment) and runs until SIGTERM/SIGINT.
import { ConfigError, KafkaConfig } from '@runnel/config';
import { startBroker } from './bootstrap';

async function main(): Promise<void> {
  let config: KafkaConfig;
  try {
    const load = (props?: Record<string, unknown>, validate = true): KafkaConfig =>
      KafkaConfig.load({ argv: process.argv.slice(2), env: process.env, props, validate });
    // The standalone broker defaults to the broker role only (npm start runs both roles in one process).
    const rolesSet = load(undefined, false).entry('process.roles')?.source !== 'default';
    config = rolesSet ? load() : load({ 'process.roles': 'broker' });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (!config.isBroker) {
    process.stderr.write('process.roles must include broker for this entry point (use `npm start` for combined mode)\n');
    process.exit(2);
  }
  const broker = await startBroker(config);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`received ${signal}, shutting down\n`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    broker.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`broker failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
