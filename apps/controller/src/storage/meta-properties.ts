import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomKafkaUuid } from '../controller/uuid';

export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  version: number;
  clusterId: string;
  nodeId: number;
  directoryId?: string;
}

export function readMetaProperties(dir: string): MetaProperties | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, META_PROPERTIES), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const props = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#') || t.startsWith('!')) continue;
    const i = t.search(/[=:]/);
    if (i < 0) continue;
    props.set(t.slice(0, i).trim(), t.slice(i + 1).trim());
  }
  const clusterId = props.get('cluster.id');
  const nodeId = Number(props.get('node.id'));
  if (!clusterId || !Number.isInteger(nodeId)) {
    throw new Error(`${path.join(dir, META_PROPERTIES)} is missing cluster.id or node.id`);
  }
  return { version: Number(props.get('version') ?? 1), clusterId, nodeId, directoryId: props.get('directory.id') };
}

export function writeMetaProperties(dir: string, meta: MetaProperties): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = [
    '#',
    `#${new Date().toUTCString()}`,
    `cluster.id=${meta.clusterId}`,
    `directory.id=${meta.directoryId ?? randomKafkaUuid()}`,
    `node.id=${meta.nodeId}`,
    `version=${meta.version}`,
    '',
  ];
  const file = path.join(dir, META_PROPERTIES);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, lines.join('\n'));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The cluster id of this node's metadata directory: read from meta.properties, or on first start
 * taken from `cluster.id` (if configured) or generated, and written there (Kafka's "format" step,
 * done automatically so `npm start` needs no setup).
 */
export function ensureClusterId(dir: string, nodeId: number, configured: string | null): { clusterId: string; created: boolean } {
  const meta = readMetaProperties(dir);
  if (meta) {
    if (meta.nodeId !== nodeId) {
      throw new Error(`${path.join(dir, META_PROPERTIES)} belongs to node.id ${meta.nodeId}, but this node is node.id ${nodeId}`);
    }
    if (configured && configured !== meta.clusterId) {
      throw new Error(`cluster.id ${configured} does not match ${meta.clusterId} stored in ${path.join(dir, META_PROPERTIES)}`);
    }
    return { clusterId: meta.clusterId, created: false };
  }
  const clusterId = configured || randomKafkaUuid();
  writeMetaProperties(dir, { version: 1, clusterId, nodeId });
  return { clusterId, created: true };
}
