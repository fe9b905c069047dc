import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KafkaConnection } from '@runnel/client';
import { KafkaConfig } from '@runnel/config';
import { ApiKey } from '@runnel/protocol';
import { RunningController, startController } from '../bootstrap';

// Quiet tests unless asked otherwise (RUNNEL_LOG_LEVEL=info npx jest ...).
process.env.RUNNEL_LOG_LEVEL ??= 'error';

export function tempDir(prefix = 'runnel-ctl-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function controllerConfig(dir: string, extra: Record<string, unknown> = {}): KafkaConfig {
  return KafkaConfig.fromProps({
    'node.id': 1,
    'process.roles': 'controller',
    listeners: 'CONTROLLER://127.0.0.1:0',
    'log.dirs': dir,
    'controller.metrics.port': -1,
    ...extra,
  });
}

export async function startTestController(dir: string, extra: Record<string, unknown> = {}): Promise<RunningController> {
  return startController(controllerConfig(dir, extra), { logLevels: ['error'] });
}

export async function connect(port: number): Promise<KafkaConnection> {
  const conn = await KafkaConnection.connect({ host: '127.0.0.1', port, clientId: 'controller-test' });
  await conn.negotiateVersions();
  return conn;
}

let incarnation = 0;

/** Registers broker `id` and heartbeats it until unfenced; returns its epoch. */
export async function registerBroker(conn: KafkaConnection, id: number, opts: { unfence?: boolean } = {}): Promise<number> {
  const inc = Buffer.alloc(16);
  inc.writeUInt32BE(++incarnation, 12);
  inc.writeUInt32BE(id + 1, 0);
  const reg = await conn.send(ApiKey.BrokerRegistration, 3, {
    brokerId: id,
    clusterId: '',
    incarnationId: inc.toString('base64url'),
    listeners: [{ name: 'PLAINTEXT', host: '127.0.0.1', port: 29000 + id, securityProtocol: 0 }],
    features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 21 }],
    rack: null,
  });
  if (reg.errorCode !== 0) throw new Error(`registration failed: ${reg.errorCode}`);
  const epoch = Number(reg.brokerEpoch);
  if (opts.unfence !== false) {
    const hb = await heartbeat(conn, id, epoch, epoch);
    if (hb.errorCode !== 0 || hb.isFenced) throw new Error(`unfence failed: ${JSON.stringify(hb)}`);
  }
  return epoch;
}

export function heartbeat(conn: KafkaConnection, id: number, epoch: number, offset: number, extra: Record<string, unknown> = {}): Promise<any> {
  return conn.send(ApiKey.BrokerHeartbeat, 1, {
    brokerId: id,
    brokerEpoch: BigInt(epoch),
    currentMetadataOffset: BigInt(offset),
    wantFence: false,
    wantShutDown: false,
    ...extra,
  });
}
