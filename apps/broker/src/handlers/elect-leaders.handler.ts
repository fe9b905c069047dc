// ElectLeaders (key 43, v0-2): preferred (0) or unclean (1) leader elections, as kafka-leader-election.sh and
// AdminClient.electLeaders ask for them. The whole request is forwarded to the controller (at v2, so a top-level
// error survives even for v0 clients), which decides every partition; the broker then waits (bounded by the
// request's timeout) until its own metadata shows the new leaders, so a Metadata request right after agrees.
import { ApiKey } from '@runnel/protocol';
import type { ElectLeadersRequest, ElectLeadersResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { MetadataCache } from '../metadata/metadata-cache';
import { Err } from '../admin/constants';
import { arr, defaultMessage, notControllerHint } from '../admin/common';
import { forwardBudgetMs, forwardItems } from '../admin/forwarding';

type Targets = { topic: string; partitions: number[] }[] | null;

const PREFERRED = 0;
const BEST_EFFORT_WAIT_MS = 5_000;

function targetsOf(req: ElectLeadersRequest): Targets {
  if (req.topicPartitions === null || req.topicPartitions === undefined) return null;
  return arr(req.topicPartitions).map((t) => ({ topic: String(t?.topic ?? ''), partitions: arr(t?.partitions).filter((p) => Number.isInteger(p)) }));
}

/** The same error for every requested partition (null targets: nothing to list, the top-level code carries it). */
export function electionErrorResponse(targets: Targets, errorCode: number, errorMessage: string | null = defaultMessage(errorCode)): ElectLeadersResponse {
  return {
    throttleTimeMs: 0,
    errorCode: targets === null ? errorCode : 0,
    replicaElectionResults: (targets ?? []).map((t) => ({
      topic: t.topic,
      partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })),
    })),
  } as ElectLeadersResponse;
}

/** True once this broker's metadata shows every successful election's outcome. */
export function electionsVisible(metadata: Pick<MetadataCache, 'topic'>, electionType: number, res: ElectLeadersResponse): boolean {
  for (const t of arr(res.replicaElectionResults)) {
    for (const r of arr(t.partitionResult)) {
      if (r.errorCode !== 0) continue;
      const p = metadata.topic(t.topic)?.partitions[r.partitionId];
      if (!p) return false;
      if (electionType === PREFERRED ? p.leader !== p.replicas[0] : p.leader < 0) return false;
    }
  }
  return true;
}

export async function electLeaders(ctx: RequestContext, req: ElectLeadersRequest): Promise<ElectLeadersResponse> {
  const started = Date.now();
  // v0 had no election type: it always meant preferred.
  const electionType = ctx.apiVersion >= 1 && typeof req.electionType === 'number' ? req.electionType : PREFERRED;
  const targets = targetsOf(req);
  const timeoutMs = typeof req.timeoutMs === 'number' ? req.timeoutMs : 60_000;
  const outcome = await forwardItems<string, ElectLeadersResponse>({
    items: ['all'],
    deadline: started + forwardBudgetMs(timeoutMs),
    keyOfItem: (k) => k,
    keyOfResult: () => 'all',
    // A standby controller answers NOT_CONTROLLER at the top or per partition: either way, ask again.
    errorOf: (r) =>
      r.errorCode === Err.NOT_CONTROLLER ||
      arr(r.replicaElectionResults).some((t) => arr(t.partitionResult).some((p) => p.errorCode === Err.NOT_CONTROLLER))
        ? Err.NOT_CONTROLLER
        : r.errorCode,
    onNotController: notControllerHint(ctx),
    send: async () => [
      await ctx.services.controller.forward<ElectLeadersResponse>(ApiKey.ElectLeaders, 2, { electionType, topicPartitions: targets, timeoutMs }),
    ],
  });
  const res = outcome.results.get('all');
  if (!res) return electionErrorResponse(targets, Err.REQUEST_TIMED_OUT, outcome.unresolved[0]?.reason ?? null);
  const out: ElectLeadersResponse = {
    throttleTimeMs: 0,
    errorCode: res.errorCode ?? 0,
    replicaElectionResults: arr(res.replicaElectionResults).map((t) => ({
      topic: t.topic,
      partitionResult: arr(t.partitionResult).map((p) => ({
        partitionId: p.partitionId,
        errorCode: p.errorCode,
        errorMessage: p.errorCode === 0 ? null : (p.errorMessage ?? defaultMessage(p.errorCode)),
      })),
    })),
  } as ElectLeadersResponse;
  const waitMs = timeoutMs > 0 ? Math.max(1, started + timeoutMs - Date.now()) : BEST_EFFORT_WAIT_MS;
  const ok = await ctx.services.metadata.waitUntil((m) => electionsVisible(m, electionType, out), waitMs);
  if (!ok) ctx.services.log.warn(`ElectLeaders: elected leaders not visible locally after ${waitMs} ms`);
  return out;
}

export const electLeadersHandler: ApiHandler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle: (ctx, req) => electLeaders(ctx, req),
  errorResponse(_ctx, req, errorCode) {
    return electionErrorResponse(req ? targetsOf(req) : [], errorCode);
  },
};
