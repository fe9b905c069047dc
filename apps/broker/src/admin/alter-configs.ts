// Shared logic of AlterConfigs (legacy, whole-set) and IncrementalAlterConfigs. As in Kafka's KRaft brokers,
// the broker pre-checks what it can (duplicate resources and keys, resource types, names, broker ids, broker
// configs that are read-only, value types), handles BROKER_LOGGER itself (incremental only), and forwards the
// rest to the controller, which validates topic configs and writes ConfigRecords. It then waits (bounded)
// until its image shows the change, so an immediate DescribeConfigs on this broker agrees.
import { BROKER_CONFIG_DEFS, validateTopicConfig, validateValue } from '@runnel/config';
import type { ConfigDef } from '@runnel/config';
import { topicNameError } from '@runnel/metadata';
import type { RequestContext } from '../api/handler';
import type { MetadataCache } from '../metadata/metadata-cache';
import { AlterConfigOp, Err, ResourceType, resourceTypeName } from './constants';
import { defaultMessage, notControllerHint } from './common';
import { brokerLoggersFor } from './broker-loggers';
import { defaultCatalog } from './catalog';
import { duplicates, forwardItems } from './forwarding';

export interface AlterEntry {
  name: string;
  value: string | null;
  /** Incremental operation; legacy AlterConfigs uses SET for every entry. */
  op: number;
}

export interface AlterResource {
  resourceType: number;
  resourceName: string;
  configs: AlterEntry[];
}

export interface AlterResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export const resourceKey = (r: { resourceType: number; resourceName: string }) => `${r.resourceType}:${r.resourceName}`;

export function alterResult(r: { resourceType: number; resourceName: string }, errorCode: number, errorMessage: string | null = defaultMessage(errorCode)): AlterResult {
  return { errorCode, errorMessage: errorCode === 0 ? null : errorMessage, resourceType: r.resourceType, resourceName: r.resourceName };
}

class Refusal extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const BROKER_DEFS = new Map<string, ConfigDef>((BROKER_CONFIG_DEFS as ConfigDef[]).map((d) => [d.name, d]));

function checkBrokerName(name: string, nodeId: number): void {
  if (name === '') return;
  if (!/^-?\d+$/.test(name)) throw new Refusal(Err.INVALID_REQUEST, `Node id must be an integer, but it is: ${name}`);
  if (Number(name) !== nodeId) throw new Refusal(Err.INVALID_REQUEST, `Unexpected node id. Expected ${nodeId}, but got ${name}`);
}

function validateBrokerEntries(r: AlterResource): void {
  const catalog = defaultCatalog();
  const readOnly = r.configs
    .filter((c) => {
      const d = catalog.broker.get(c.name);
      return d !== undefined && !d.dynamic;
    })
    .map((c) => c.name);
  if (readOnly.length > 0) throw new Refusal(Err.INVALID_REQUEST, `Cannot update these configs dynamically: ${readOnly.join(', ')}`);
  for (const c of r.configs) {
    const def = BROKER_DEFS.get(c.name);
    if ((c.op === AlterConfigOp.APPEND || c.op === AlterConfigOp.SUBTRACT) && def && def.type !== 'list') {
      throw new Refusal(Err.INVALID_CONFIG, `Can't ${c.op === AlterConfigOp.APPEND ? 'APPEND' : 'SUBTRACT'} to key ${c.name} because its type is not LIST.`);
    }
    if (c.op === AlterConfigOp.SET && def && c.value !== null) {
      try {
        validateValue(def, c.value);
      } catch (e) {
        throw new Refusal(Err.INVALID_REQUEST, `Invalid config value for resource ConfigResource(type=BROKER, name='${r.resourceName}'): ${(e as Error).message}`);
      }
    }
  }
}

function validateTopicEntries(r: AlterResource, legacy: boolean): void {
  const catalog = defaultCatalog();
  for (const c of r.configs) {
    const def = catalog.topic.get(c.name);
    if (c.op === AlterConfigOp.DELETE) continue; // deleting an unknown or unset key is a no-op in Kafka
    if (c.op === AlterConfigOp.APPEND || c.op === AlterConfigOp.SUBTRACT) {
      if (!def) throw new Refusal(Err.INVALID_CONFIG, `Unknown topic config name: ${c.name}`);
      if (def.kind !== 'list') {
        throw new Refusal(Err.INVALID_CONFIG, `Can't ${c.op === AlterConfigOp.APPEND ? 'APPEND' : 'SUBTRACT'} to key ${c.name} because its type is not LIST.`);
      }
      continue;
    }
    if (c.value === null) {
      throw new Refusal(legacy ? Err.INVALID_REQUEST : Err.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
    }
    try {
      validateTopicConfig(c.name, c.value);
    } catch (e) {
      throw new Refusal(Err.INVALID_CONFIG, (e as Error).message);
    }
  }
}

/** Broker-side checks of one resource; throws Refusal. Returns 'local' for resources the broker applies itself. */
function precheck(r: AlterResource, nodeId: number, legacy: boolean, existsTopic: (n: string) => boolean): 'forward' | 'local' {
  const names = r.configs.map((c) => c.name);
  if (new Set(names).size !== names.length) throw new Refusal(Err.INVALID_REQUEST, 'Error due to duplicate config keys');
  for (const c of r.configs) {
    if (typeof c.name !== 'string' || c.name === '') throw new Refusal(Err.INVALID_REQUEST, 'Config names must not be empty');
    if (!legacy && ![AlterConfigOp.SET, AlterConfigOp.DELETE, AlterConfigOp.APPEND, AlterConfigOp.SUBTRACT].includes(c.op as 0)) {
      throw new Refusal(Err.INVALID_REQUEST, `Unknown config operation ${c.op} for key ${c.name}`);
    }
  }
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const bad = topicNameError(r.resourceName);
      if (bad) throw new Refusal(Err.INVALID_TOPIC_EXCEPTION, bad);
      // Unknown here may just mean our image lags: the controller decides. Known topics get their values checked.
      if (existsTopic(r.resourceName)) validateTopicEntries(r, legacy);
      return 'forward';
    }
    case ResourceType.BROKER:
      checkBrokerName(r.resourceName, nodeId);
      validateBrokerEntries(r);
      return 'forward';
    case ResourceType.BROKER_LOGGER:
      if (legacy) throw new Refusal(Err.INVALID_REQUEST, 'AlterConfigs does not support the resource type BROKER_LOGGER; use IncrementalAlterConfigs');
      if (r.resourceName === '') throw new Refusal(Err.INVALID_REQUEST, 'Broker id must not be empty');
      checkBrokerName(r.resourceName, nodeId);
      return 'local';
    default:
      throw new Refusal(Err.INVALID_REQUEST, `Unknown resource type ${resourceTypeName(r.resourceType)}`);
  }
}

function applyLoggers(ctx: RequestContext, r: AlterResource, validateOnly: boolean): AlterResult {
  const loggers = brokerLoggersFor(ctx.services);
  for (const c of r.configs) {
    let refusal: [number, string] | null;
    if (c.op === AlterConfigOp.SET) refusal = loggers.validateSet(c.name, c.value);
    else if (c.op === AlterConfigOp.DELETE) refusal = loggers.validateUnset(c.name);
    else refusal = [Err.INVALID_REQUEST, `${c.op === AlterConfigOp.APPEND ? 'APPEND' : 'SUBTRACT'} operation is not allowed for the BROKER_LOGGER resource`];
    if (refusal) return alterResult(r, refusal[0], refusal[1]);
  }
  if (!validateOnly) {
    for (const c of r.configs) {
      if (c.op === AlterConfigOp.SET) loggers.set(c.name, c.value!);
      else loggers.unset(c.name);
    }
  }
  return alterResult(r, 0);
}

const loose = (v: string) => v.replace(/\s+/g, '').toLowerCase();
const sameValue = (have: string | undefined, want: string) => have !== undefined && (have === want || loose(have) === loose(want));

/** Whether the image already reflects the change (legacy AlterConfigs replaces the whole set). */
function reflected(cache: MetadataCache, r: AlterResource, legacy: boolean): boolean {
  const current =
    r.resourceType === ResourceType.TOPIC
      ? cache.topicConfigOverrides(r.resourceName)
      : cache.brokerConfigOverrides(r.resourceName === '' ? '' : Number(r.resourceName));
  for (const c of r.configs) {
    if (c.op === AlterConfigOp.SET && c.value !== null && !sameValue(current.get(c.name), c.value)) return false;
    if (c.op === AlterConfigOp.DELETE && current.has(c.name)) return false;
  }
  if (legacy) {
    const wanted = new Set(r.configs.filter((c) => c.value !== null).map((c) => c.name));
    for (const k of current.keys()) if (!wanted.has(k)) return false;
  }
  return true;
}

export interface AlterOptions {
  readonly legacy: boolean;
  readonly validateOnly: boolean;
  /** Send these resources to the controller (the handler knows the API and body shape). */
  readonly send: (resources: AlterResource[]) => Promise<AlterResult[]>;
  readonly budgetMs?: number;
  readonly waitMs?: number;
}

export async function alterConfigs(ctx: RequestContext, resources: AlterResource[], o: AlterOptions): Promise<AlterResult[]> {
  const started = Date.now();
  const { nodeId, metadata } = ctx.services;
  const order: AlterResource[] = [];
  const results = new Map<string, AlterResult>();
  const dup = duplicates(resources, resourceKey);
  const toForward: AlterResource[] = [];
  for (const r of resources) {
    const key = resourceKey(r);
    if (results.has(key) || order.some((x) => resourceKey(x) === key)) continue;
    order.push(r);
    if (dup.has(key)) {
      results.set(key, alterResult(r, Err.INVALID_REQUEST, 'Duplicate resource.'));
      continue;
    }
    try {
      const where = precheck(r, nodeId, o.legacy, (n) => !!metadata.topic(n));
      if (where === 'local') results.set(key, applyLoggers(ctx, r, o.validateOnly));
      else toForward.push(r);
    } catch (e) {
      if (e instanceof Refusal) results.set(key, alterResult(r, e.code, e.message));
      else {
        ctx.services.log.error(`AlterConfigs precheck of ${key} failed`, e);
        results.set(key, alterResult(r, Err.UNKNOWN_SERVER_ERROR, 'Unexpected error checking the resource.'));
      }
    }
  }
  if (toForward.length > 0) {
    const outcome = await forwardItems<AlterResource, AlterResult>({
      items: toForward,
      deadline: started + (o.budgetMs ?? 10_000),
      keyOfItem: resourceKey,
      keyOfResult: (r) => resourceKey({ resourceType: r.resourceType, resourceName: r.resourceName ?? '' }),
      errorOf: (r) => r.errorCode,
      onNotController: notControllerHint(ctx),
      send: (items) => o.send(items),
    });
    const changed: AlterResource[] = [];
    for (const r of toForward) {
      const key = resourceKey(r);
      const res = outcome.results.get(key);
      if (!res) {
        results.set(key, alterResult(r, Err.REQUEST_TIMED_OUT, outcome.unresolved.find((u) => resourceKey(u.item) === key)?.reason ?? null));
        continue;
      }
      results.set(key, alterResult(r, res.errorCode, res.errorMessage ?? defaultMessage(res.errorCode)));
      if (res.errorCode === 0 && !o.validateOnly) changed.push(r);
    }
    if (changed.length > 0) {
      const ok = await metadata.waitUntil((cache) => changed.every((r) => reflected(cache, r, o.legacy)), o.waitMs ?? 5_000);
      if (!ok) ctx.services.log.warn(`AlterConfigs: change of ${changed.map(resourceKey).join(', ')} not visible locally yet`);
    }
  }
  return order.map((r) => results.get(resourceKey(r))!);
}
