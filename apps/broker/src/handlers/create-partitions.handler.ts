// CreatePartitions (key 37, v0-3): duplicates and counts that would not grow the topic (per this broker's
// metadata, which can only lag the controller's, never lead it) are answered here with Kafka's messages; the rest
// is forwarded to the controller, and the broker waits (bounded) until it sees the new partitions.
import { ApiKey } from '@runnel/protocol';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { MetadataCache } from '../metadata/metadata-cache';
import { Err } from '../admin/constants';
import { arr, defaultMessage, notControllerHint } from '../admin/common';
import { duplicates, forwardBudgetMs, forwardItems } from '../admin/forwarding';

type Topic = CreatePartitionsRequest.CreatePartitionsTopic;
type Result = CreatePartitionsResponse.CreatePartitionsTopicResult;

const BEST_EFFORT_WAIT_MS = 5_000;

export function partitionsResult(name: string, errorCode: number, errorMessage: string | null = defaultMessage(errorCode)): Result {
  return { name, errorCode, errorMessage: errorCode === 0 ? null : errorMessage } as Result;
}

export function planCreatePartitions(topics: readonly Topic[], metadata: Pick<MetadataCache, 'topic'>): { order: string[]; local: Map<string, Result>; forward: Topic[] } {
  const order: string[] = [];
  const local = new Map<string, Result>();
  const forward: Topic[] = [];
  const dup = duplicates(topics, (t) => String(t?.name ?? ''));
  for (const t of topics) {
    const name = typeof t?.name === 'string' ? t.name : '';
    if (order.includes(name)) continue;
    order.push(name);
    if (dup.has(name)) {
      local.set(name, partitionsResult(name, Err.INVALID_REQUEST, 'Duplicate topic name.'));
      continue;
    }
    const count = t.count;
    if (!Number.isInteger(count) || count <= 0) {
      local.set(name, partitionsResult(name, Err.INVALID_PARTITIONS, `The partition count must be positive, but it was ${count}.`));
      continue;
    }
    const current = metadata.topic(name)?.partitions.filter((p) => !!p).length;
    if (current !== undefined) {
      if (count === current) {
        local.set(name, partitionsResult(name, Err.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`));
        continue;
      }
      if (count < current) {
        local.set(
          name,
          partitionsResult(name, Err.INVALID_PARTITIONS, `The topic ${name} currently has ${current} partition(s); ${count} would not be an increase.`),
        );
        continue;
      }
    }
    forward.push({ ...t, name, assignments: t.assignments === null || t.assignments === undefined ? null : arr(t.assignments) } as Topic);
  }
  return { order, local, forward };
}

export async function createPartitions(ctx: RequestContext, req: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
  const started = Date.now();
  const { metadata } = ctx.services;
  const plan = planCreatePartitions(arr(req.topics), metadata);
  const results = new Map(plan.local);
  const validateOnly = req.validateOnly === true;
  if (plan.forward.length > 0) {
    const timeoutMs = typeof req.timeoutMs === 'number' ? req.timeoutMs : 30_000;
    const outcome = await forwardItems<Topic, Result>({
      items: plan.forward,
      deadline: started + forwardBudgetMs(timeoutMs),
      keyOfItem: (t) => t.name,
      keyOfResult: (r) => String(r.name),
      errorOf: (r) => r.errorCode,
      onNotController: notControllerHint(ctx),
      send: async (items) => {
        const res = await ctx.services.controller.forward<CreatePartitionsResponse>(ApiKey.CreatePartitions, ctx.apiVersion, {
          topics: items,
          timeoutMs,
          validateOnly,
        });
        return arr(res?.results);
      },
    });
    const grown: Topic[] = [];
    for (const t of plan.forward) {
      const r = outcome.results.get(t.name);
      if (!r) {
        const reason = outcome.unresolved.find((u) => u.item.name === t.name)?.reason ?? null;
        results.set(t.name, partitionsResult(t.name, Err.REQUEST_TIMED_OUT, reason));
        continue;
      }
      results.set(t.name, partitionsResult(t.name, r.errorCode, r.errorMessage ?? defaultMessage(r.errorCode)));
      if (r.errorCode === 0 && !validateOnly) grown.push(t);
    }
    if (grown.length > 0) {
      const waitMs = timeoutMs > 0 ? Math.max(1, started + timeoutMs - Date.now()) : BEST_EFFORT_WAIT_MS;
      const ok = await metadata.waitUntil(
        (cache) =>
          grown.every((t) => {
            const ps = cache.topic(t.name)?.partitions.filter((p) => !!p) ?? [];
            return ps.length >= t.count && ps.every((p) => p.leader >= 0);
          }),
        waitMs,
      );
      if (!ok) ctx.services.log.warn(`CreatePartitions: new partitions of ${grown.map((t) => t.name).join(', ')} not visible locally after ${waitMs} ms`);
    }
  }
  return { throttleTimeMs: 0, results: plan.order.map((n) => results.get(n)!).filter(Boolean) } as CreatePartitionsResponse;
}

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle: (ctx, req) => createPartitions(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    const names = [...new Set(arr(req?.topics).map((t) => String(t?.name ?? '')))];
    return { throttleTimeMs: 0, results: names.map((n) => partitionsResult(n, errorCode)) } as CreatePartitionsResponse;
  },
};
