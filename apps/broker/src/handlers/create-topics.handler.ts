// CreateTopics (key 19, v0-7). The broker checks what it can answer alone (duplicate names, illegal names),
// fills -1 partitions/replication factor from its own num.partitions / default.replication.factor, forwards the
// rest to the controller, then waits (bounded) until its metadata shows the new topics so a Metadata or Produce
// right after the answer finds them. v5+ answers carry the created topic's partitions, replication factor and
// configs (described like DescribeConfigs would), v7 its topic id.
import { ApiKey } from '@runnel/protocol';
import type { CreateTopicsRequest, CreateTopicsResponse } from '@runnel/protocol';
import { topicNameError } from '@runnel/metadata';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { MetadataCache } from '../metadata/metadata-cache';
import { Err } from '../admin/constants';
import { AdminView, ZERO_UUID, adminView, arr, defaultMessage, notControllerHint } from '../admin/common';
import { describeTopicConfigs } from '../admin/config-model';
import { duplicates, forwardBudgetMs, forwardItems } from '../admin/forwarding';

type Topic = CreateTopicsRequest.CreatableTopic;
type Result = CreateTopicsResponse.CreatableTopicResult;

/** How long a request with timeoutMs <= 0 still waits for local metadata (it is answered successfully regardless). */
const BEST_EFFORT_WAIT_MS = 5_000;

export function topicResult(name: string, errorCode: number, errorMessage: string | null = defaultMessage(errorCode)): Result {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage: errorCode === 0 ? null : errorMessage,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  } as Result;
}

export interface CreatePlan {
  /** Topics to forward, defaults filled in. */
  readonly forward: Topic[];
  /** Answers decided locally, by name. */
  readonly local: Map<string, Result>;
  /** Names in request order (each once). */
  readonly order: string[];
}

/**
 * Broker-side part of CreateTopics: reject duplicates (Kafka: INVALID_REQUEST "Duplicate topic name.") and
 * illegal names, and substitute broker defaults for -1 when no manual assignment is given.
 */
export function planCreateTopics(topics: readonly Topic[], defaults: { numPartitions: number; replicationFactor: number }): CreatePlan {
  const local = new Map<string, Result>();
  const order: string[] = [];
  const seen = new Set<string>();
  const dup = duplicates(topics, (t) => String(t?.name));
  const forward: Topic[] = [];
  for (const t of topics) {
    const name = typeof t?.name === 'string' ? t.name : '';
    if (!seen.has(name)) {
      seen.add(name);
      order.push(name);
    }
    if (dup.has(name)) {
      local.set(name, topicResult(name, Err.INVALID_REQUEST, 'Duplicate topic name.'));
      continue;
    }
    const bad = topicNameError(name);
    if (bad) {
      local.set(name, topicResult(name, Err.INVALID_TOPIC_EXCEPTION, bad));
      continue;
    }
    const assignments = arr(t.assignments);
    let numPartitions = t.numPartitions;
    let replicationFactor = t.replicationFactor;
    if (assignments.length === 0) {
      if (numPartitions === -1) numPartitions = defaults.numPartitions;
      if (replicationFactor === -1) replicationFactor = defaults.replicationFactor;
    }
    forward.push({ ...t, name, numPartitions, replicationFactor, assignments, configs: arr(t.configs) });
  }
  return { forward, local, order };
}

function topicVisible(cache: MetadataCache, name: string, partitions: number): boolean {
  const t = cache.topic(name);
  if (!t) return false;
  const ps = t.partitions.filter((p) => p !== undefined && p !== null);
  if (ps.length < Math.max(1, partitions)) return false;
  return ps.every((p) => p.leader >= 0);
}

function expectedPartitions(t: Topic, r: Result): number {
  if (typeof r.numPartitions === 'number' && r.numPartitions > 0) return r.numPartitions;
  if (t.numPartitions > 0) return t.numPartitions;
  return Math.max(1, arr(t.assignments).length);
}

/** Fill the v5+ fields (partitions, replication factor, configs) and the v7 topic id of a successful result. */
export function completeResult(r: Result, t: Topic, cache: MetadataCache, view: AdminView, validateOnly: boolean): Result {
  const topic = validateOnly ? undefined : cache.topic(r.name);
  const firstPartition = topic?.partitions.find((p) => !!p);
  const numPartitions = topic ? topic.partitions.filter((p) => !!p).length : r.numPartitions > 0 ? r.numPartitions : expectedPartitions(t, r);
  const replicationFactor = firstPartition
    ? firstPartition.replicas.length
    : r.replicationFactor > 0
      ? r.replicationFactor
      : t.replicationFactor > 0
        ? t.replicationFactor
        : (arr(t.assignments)[0]?.brokerIds?.length ?? -1);
  const overrides = topic
    ? cache.topicConfigOverrides(r.name)
    : new Map(arr(t.configs).filter((c) => c && typeof c.name === 'string' && c.value !== null).map((c) => [c.name, String(c.value)]));
  const configs = describeTopicConfigs(overrides, view.catalog, view.state).map((d) => ({
    name: d.name,
    value: d.value,
    readOnly: d.readOnly,
    configSource: d.configSource,
    isSensitive: d.isSensitive,
  }));
  const topicId = r.topicId && r.topicId !== ZERO_UUID ? r.topicId : (topic?.topicId ?? ZERO_UUID);
  return { ...r, topicId, errorMessage: null, numPartitions, replicationFactor, configs } as Result;
}

async function waitForLocalLogs(ctx: RequestContext, names: string[], deadline: number): Promise<void> {
  const { metadata, replicas, nodeId } = ctx.services;
  const missing = () =>
    names.some((n) =>
      (metadata.topic(n)?.partitions ?? []).some((p) => p && p.leader === nodeId && !replicas.get(n, p.partition)),
    );
  while (missing() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

export async function createTopics(ctx: RequestContext, req: CreateTopicsRequest): Promise<CreateTopicsResponse> {
  const started = Date.now();
  const view = adminView(ctx);
  const validateOnly = ctx.apiVersion >= 1 && req.validateOnly === true;
  const plan = planCreateTopics(arr(req.topics), {
    numPartitions: view.brokerInt('num.partitions', 1),
    replicationFactor: view.brokerInt('default.replication.factor', 1),
  });
  const results = new Map(plan.local);
  const byName = new Map(plan.forward.map((t) => [t.name, t]));

  if (plan.forward.length > 0) {
    const timeoutMs = typeof req.timeoutMs === 'number' ? req.timeoutMs : 60_000;
    const deadline = started + forwardBudgetMs(timeoutMs);
    const outcome = await forwardItems<Topic, Result>({
      items: plan.forward,
      deadline,
      keyOfItem: (t) => t.name,
      keyOfResult: (r) => r.name,
      errorOf: (r) => r.errorCode,
      onNotController: notControllerHint(ctx),
      send: async (items) => {
        const res = await ctx.services.controller.forward<CreateTopicsResponse>(ApiKey.CreateTopics, ctx.apiVersion, {
          topics: items,
          timeoutMs,
          validateOnly,
        });
        return arr(res?.topics);
      },
    });
    for (const { item, reason } of outcome.unresolved) {
      results.set(item.name, topicResult(item.name, Err.REQUEST_TIMED_OUT, reason));
    }
    const created: string[] = [];
    for (const [name, r] of outcome.results) {
      if (r.errorCode !== 0) {
        results.set(name, { ...topicResult(name, r.errorCode, r.errorMessage ?? defaultMessage(r.errorCode)) });
        continue;
      }
      results.set(name, r);
      if (!validateOnly) created.push(name);
    }

    if (created.length > 0) {
      // Kafka answers once the controller committed; we additionally wait for our own image (bounded), so the
      // client's next request to this broker sees the topic. A slow image is not an error.
      const waitMs = timeoutMs > 0 ? Math.max(0, started + timeoutMs - Date.now()) : BEST_EFFORT_WAIT_MS;
      const caughtUp = await ctx.services.metadata.waitUntil(
        (cache) => created.every((n) => topicVisible(cache, n, expectedPartitions(byName.get(n)!, results.get(n)!))),
        Math.max(waitMs, 1),
      );
      if (caughtUp) await waitForLocalLogs(ctx, created, Date.now() + Math.min(2_000, Math.max(waitMs, 200)));
      else ctx.services.log.warn(`CreateTopics: metadata for ${created.join(', ')} not visible locally within ${waitMs} ms`);
    }
    for (const [name, r] of results) {
      if (r.errorCode === 0 && byName.has(name)) {
        results.set(name, completeResult(r, byName.get(name)!, ctx.services.metadata, adminView(ctx), validateOnly));
      }
    }
  }
  return { throttleTimeMs: 0, topics: plan.order.map((n) => results.get(n)!).filter(Boolean) } as CreateTopicsResponse;
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle: (ctx, req) => createTopics(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    const names = [...new Set(arr(req?.topics).map((t) => String(t?.name ?? '')))];
    return { throttleTimeMs: 0, topics: names.map((n) => topicResult(n, errorCode)) } as CreateTopicsResponse;
  },
};
