import { ConfigError, KafkaConfig } from '@runnel/config';
import { startController } from './bootstrap';

/** Standalone controller: `node dist/apps/controller/src/main.js [server.properties] [--override k=v]...`. */
async function main(): Promise<void> {
  let config: KafkaConfig;
  try {
    const load = (props?: Record<string, unknown>, validate = true) =>
      KafkaConfig.load({ argv: process.argv.slice(2), env: process.env, props, validate });
    // The standalone controller defaults to the controller role only (npm start runs both).
    const rolesSet = load(undefined, false).entry('process.roles')?.source !== 'default';
    config = rolesSet ? load() : load({ 'process.roles': 'controller' });
    if (!config.isController) throw new ConfigError('process.roles must contain controller for the standalone controller', 'process.roles');
  } catch (e) {
    console.error(`Invalid configuration: ${(e as Error).message}`);
    process.exit(1);
  }
  for (const w of config.warnings) console.warn(w);
  const running = await startController(config);
  console.log(`Runnel controller ${config.nodeId} ready on port ${running.port} (cluster ${running.clusterId})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down the controller`);
    running.close().then(
      () => process.exit(0),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => {
  console.error(`controller failed to start: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
