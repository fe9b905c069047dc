// `npm start`: one Runnel node with the roles in process.roles (default broker,controller), configured
// the Kafka way (properties file, --override key=value, KAFKA_* environment). Starts the controller
// first, then the broker, prints one ready line, and stops broker-then-controller on SIGTERM/SIGINT.
import * as net from 'node:net';
import { ConfigError, KafkaConfig } from '@runnel/config';
import { startController } from '../../apps/controller/src/bootstrap';
import { startBroker } from '../../apps/broker/src/bootstrap';

interface Closable {
  close(): Promise<void>;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** True when host:port can be bound right now. */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

function loadConfig(argv: string[]): KafkaConfig {
  try {
    return KafkaConfig.load({ argv, env: process.env });
  } catch (e) {
    if (e instanceof ConfigError) fail(`Invalid configuration: ${e.message}`);
    throw e;
  }
}

/**
 * The HTTP metrics ports default to 9404/9405; when the user did not choose them and they are taken
 * (e.g. a second node on this machine), use a free port instead of failing to start.
 */
async function resolveMetricsPorts(config: KafkaConfig): Promise<KafkaConfig> {
  const host = config.getString('metrics.host');
  const changes: Record<string, number> = {};
  for (const key of ['metrics.port', 'controller.metrics.port']) {
    const needed = key === 'metrics.port' ? config.isBroker : config.isController;
    const port = config.getInt(key);
    if (!needed || config.isSet(key) || port <= 0) continue;
    if (!(await portFree(host, port))) {
      changes[key] = 0;
      process.stderr.write(`note: ${key} ${port} is in use; serving /metrics on a free port instead (set ${key} to choose)\n`);
    }
  }
  return Object.keys(changes).length > 0 ? config.withOverrides(changes) : config;
}

async function main(): Promise<void> {
  let config = loadConfig(process.argv.slice(2));
  for (const w of config.warnings) process.stderr.write(`warning: ${w}\n`);
  config = await resolveMetricsPorts(config);

  const started: Closable[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    // Reverse start order: the broker (controlled shutdown via the controller) before the controller.
    for (const c of started.reverse()) {
      try {
        await c.close();
      } catch (e) {
        process.stderr.write(`shutdown error: ${(e as Error).message}\n`);
      }
    }
  };
  const onSignal = (signal: string): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`${signal} received: shutting down\n`);
    const force = setTimeout(() => {
      process.stderr.write('shutdown took too long: exiting\n');
      process.exit(1);
    }, 30_000);
    force.unref();
    stopAll().then(() => {
      process.stdout.write('Runnel stopped\n');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  const parts: string[] = [];
  try {
    if (config.isController) {
      const ctl = await startController(config);
      started.push(ctl);
      const l = config.controllerListener()!;
      parts.push(`controller ${config.nodeId} on ${l.name}://${l.host || '0.0.0.0'}:${ctl.port} (cluster ${ctl.clusterId})`);
    }
    if (stopping) return;
    if (config.isBroker) {
      const broker = await startBroker(config);
      started.push(broker);
      const ls = broker.listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(', ');
      parts.push(`broker ${config.nodeId} on ${ls}`);
    }
  } catch (e) {
    process.stderr.write(`Runnel failed to start: ${(e as Error).message}\n`);
    await stopAll();
    process.exit(1);
  }
  if (stopping) return;
  process.stdout.write(`Runnel ready: ${parts.join('; ')}; data in ${config.logDirs().join(',')}\n`);
}

main().catch((e) => {
  process.stderr.write(`Runnel failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
