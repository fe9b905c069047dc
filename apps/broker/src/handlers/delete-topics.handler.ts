// DeleteTopics (key 20, v0-6). v6 names topics by name or by id: ids are resolved against this broker's
// metadata (UNKNOWN_TOPIC_ID when absent) and the deletion is forwarded to the controller by name. The broker
// then waits (bounded) until its image no longer has the topics, so its next Metadata answer agrees.
import { ApiKey } from '@runnel/protocol';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import { Err } from '../admin/constants';
import { ZERO_UUID, adminView, arr, defaultMessage, notControllerHint } from '../admin/common';
import { effectiveBrokerValue } from '../admin/catalog';
import { forwardBudgetMs, forwardItems } from '../admin/forwarding';

type Result = DeleteTopicsResponse.DeletableTopicResult;

const BEST_EFFORT_WAIT_MS = 5_000;

interface Entry {
  /** Key for de-duplication and result placement. */
  key: string;
  name: string | null;
  topicId: string;
}

export function deleteResult(name: string | null, topicId: string, errorCode: number, errorMessage: string | null = defaultMessage(errorCode)): Result {
  return { name, topicId, errorCode, errorMessage: errorCode === 0 ? null : errorMessage } as Result;
}

/** The request's topics as entries, whatever the version. */
export function requestEntries(version: number, req: DeleteTopicsRequest): Array<{ name: string | null; topicId: string }> {
  if (version >= 6) {
    return arr(req.topics).map((t) => ({
      name: typeof t?.name === 'string' ? t.name : null,
      topicId: typeof t?.topicId === 'string' && t.topicId.length > 0 ? t.topicId : ZERO_UUID,
    }));
  }
  return arr(req.topicNames).map((n) => ({ name: typeof n === 'string' ? n : '', topicId: ZERO_UUID }));
}

export interface DeletePlan {
  /** One slot per distinct request entry, in request order. */
  slots: Entry[];
  /** Answers decided locally, by slot key. */
  local: Map<string, Result>;
  /** Names to forward, with the slot key they answer. */
  forward: Array<{ name: string; key: string; topicId: string }>;
}

export function planDeleteTopics(entries: Array<{ name: string | null; topicId: string }>, lookupId: (id: string) => string | undefined): DeletePlan {
  const slots: Entry[] = [];
  const local = new Map<string, Result>();
  const forward: DeletePlan['forward'] = [];
  const count = new Map<string, number>();
  const keyOf = (e: { name: string | null; topicId: string }) => (e.name !== null && e.name !== '' && e.topicId === ZERO_UUID ? `n:${e.name}` : e.topicId !== ZERO_UUID && (e.name === null || e.name === '') ? `i:${e.topicId}` : `x:${e.name ?? ''}:${e.topicId}`);
  for (const e of entries) count.set(keyOf(e), (count.get(keyOf(e)) ?? 0) + 1);
  const forwardedNames = new Set<string>();
  for (const e of entries) {
    const key = keyOf(e);
    if (slots.some((s) => s.key === key)) continue;
    slots.push({ key, name: e.name, topicId: e.topicId });
    const hasName = e.name !== null && e.name !== '';
    const hasId = e.topicId !== ZERO_UUID;
    if (hasName && hasId) {
      local.set(key, deleteResult(e.name, e.topicId, Err.INVALID_REQUEST, 'You may not specify both topic name and topic id.'));
      continue;
    }
    if (!hasName && !hasId) {
      // v0-5 with an empty name is simply an unknown topic; v6 with neither is malformed.
      local.set(
        key,
        e.name === ''
          ? deleteResult(e.name, e.topicId, Err.UNKNOWN_TOPIC_OR_PARTITION)
          : deleteResult(e.name, e.topicId, Err.INVALID_REQUEST, 'Neither topic name nor id were specified.'),
      );
      continue;
    }
    if ((count.get(key) ?? 0) > 1) {
      local.set(key, deleteResult(e.name, e.topicId, Err.INVALID_REQUEST, hasName ? 'Duplicate topic name.' : 'Duplicate topic id.'));
      continue;
    }
    let name = e.name as string;
    if (hasId) {
      const found = lookupId(e.topicId);
      if (found === undefined) {
        local.set(key, deleteResult(null, e.topicId, Err.UNKNOWN_TOPIC_ID, `Topic id ${e.topicId} not found.`));
        continue;
      }
      name = found;
    }
    if (forwardedNames.has(name)) {
      // The same topic by name and by id.
      local.set(key, deleteResult(name, e.topicId, Err.INVALID_REQUEST, 'Duplicate topic name.'));
      continue;
    }
    forwardedNames.add(name);
    forward.push({ name, key, topicId: e.topicId });
  }
  return { slots, local, forward };
}

function deletionEnabled(ctx: RequestContext): boolean {
  const view = adminView(ctx);
  return (effectiveBrokerValue('delete.topic.enable', view.catalog, view.state) ?? 'true').toLowerCase() !== 'false';
}

export async function deleteTopics(ctx: RequestContext, req: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
  const started = Date.now();
  const { metadata } = ctx.services;
  const plan = planDeleteTopics(requestEntries(ctx.apiVersion, req), (id) => metadata.topicById(id)?.name);
  const results = new Map(plan.local);
  if (!deletionEnabled(ctx)) {
    // Kafka: TOPIC_DELETION_DISABLED from v3 on, INVALID_REQUEST before (the code did not exist yet).
    for (const f of plan.forward) {
      results.set(
        f.key,
        ctx.apiVersion >= 3
          ? deleteResult(f.name, f.topicId, Err.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.')
          : deleteResult(f.name, f.topicId, Err.INVALID_REQUEST, 'Topic deletion is disabled.'),
      );
    }
    plan.forward.length = 0;
  }
  if (plan.forward.length > 0) {
    const timeoutMs = typeof req.timeoutMs === 'number' ? req.timeoutMs : 30_000;
    // Remember which topic (by id) we asked to delete, so a same-named topic re-created meanwhile is not awaited.
    const ids = new Map(plan.forward.map((f) => [f.name, metadata.topic(f.name)?.topicId ?? null]));
    const outcome = await forwardItems<DeletePlan['forward'][number], Result>({
      items: plan.forward,
      deadline: started + forwardBudgetMs(timeoutMs),
      keyOfItem: (f) => f.name,
      keyOfResult: (r) => String(r.name),
      errorOf: (r) => r.errorCode,
      onNotController: notControllerHint(ctx),
      send: async (items) => {
        const names = items.map((i) => i.name);
        const res = await ctx.services.controller.forward<DeleteTopicsResponse>(ApiKey.DeleteTopics, ctx.apiVersion, {
          topicNames: names,
          topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
          timeoutMs,
        });
        return arr(res?.responses);
      },
    });
    const deleted: string[] = [];
    for (const f of plan.forward) {
      const r = outcome.results.get(f.name);
      const topicId = f.topicId !== ZERO_UUID ? f.topicId : (r?.topicId && r.topicId !== ZERO_UUID ? r.topicId : (ids.get(f.name) ?? ZERO_UUID));
      if (!r) {
        const reason = outcome.unresolved.find((u) => u.item.name === f.name)?.reason ?? null;
        results.set(f.key, deleteResult(f.name, topicId, Err.REQUEST_TIMED_OUT, reason));
        continue;
      }
      results.set(f.key, deleteResult(f.name, topicId, r.errorCode, r.errorMessage ?? defaultMessage(r.errorCode)));
      if (r.errorCode === 0) deleted.push(f.name);
    }
    if (deleted.length > 0) {
      const waitMs = timeoutMs > 0 ? Math.max(1, started + timeoutMs - Date.now()) : BEST_EFFORT_WAIT_MS;
      const gone = await metadata.waitUntil(
        (cache) => deleted.every((n) => {
          const t = cache.topic(n);
          return !t || (ids.get(n) !== null && t.topicId !== ids.get(n));
        }),
        waitMs,
      );
      if (!gone) ctx.services.log.warn(`DeleteTopics: ${deleted.join(', ')} still visible locally after ${waitMs} ms`);
    }
  }
  return { throttleTimeMs: 0, responses: plan.slots.map((s) => results.get(s.key)!).filter(Boolean) } as DeleteTopicsResponse;
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle: (ctx, req) => deleteTopics(ctx, req),
  errorResponse(ctx, req, errorCode) {
    const entries = requestEntries(ctx.apiVersion, req ?? ({} as DeleteTopicsRequest));
    return { throttleTimeMs: 0, responses: entries.map((e) => deleteResult(e.name, e.topicId, errorCode)) } as DeleteTopicsResponse;
  },
};
