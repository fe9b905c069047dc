// Smoke-test entry: a broker plus the in-memory MiniController in one process.
// node -r ./tools/runtime/paths.js dist/apps/broker/src/testing/run-with-mini-controller.js PORT DIR
import { KafkaConfig } from '@runnel/config';
import { startBroker } from '../bootstrap';
import { MiniController } from './mini-controller';

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 19200);
  const dir = process.argv[3] ?? '/tmp/runnel-broker-smoke';
  const ctl = new MiniController();
  const cport = await ctl.start(0);
  const config = KafkaConfig.fromProps({
    'node.id': 1,
    'process.roles': 'broker',
    listeners: `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': `1@127.0.0.1:${cport}`,
    'log.dirs': dir,
    'metrics.port': Number(process.argv[4] ?? 0),
  });
  const broker = await startBroker(config);
  const stop = async (): Promise<void> => {
    await broker.close();
    await ctl.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
