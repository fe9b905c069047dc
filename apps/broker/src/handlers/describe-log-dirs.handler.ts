// DescribeLogDirs (key 35, v0-4): this broker's log directories with the partitions they hold and their sizes.
// A single replica never lags itself (offset lag 0), and there are no "future" logs (no AlterReplicaLogDirs).
// v3 adds a top-level error code, v4 the volume's total and usable bytes (fs.statfs).
import { promises as fsp } from 'node:fs';
import { ApiKey } from '@runnel/protocol';
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import { Err } from '../admin/constants';
import { arr } from '../admin/common';

type DirResult = DescribeLogDirsResponse.DescribeLogDirsResult;

interface DirView {
  logDir: string;
  logs: Array<{ topic: string; partition: number; sizeInBytes: number }>;
}

/** The LogManager's per-dir view (describe() when it has one, else grouped from logs()). */
export function logDirViews(logManager: any): DirView[] {
  if (logManager && typeof logManager.describe === 'function') {
    return (logManager.describe() as any[]).map((d) => ({ logDir: String(d.logDir), logs: arr(d.logs) }));
  }
  const dirs: string[] = arr(logManager?.logDirs);
  const views = new Map<string, DirView>(dirs.map((d) => [d, { logDir: d, logs: [] }]));
  for (const l of (logManager?.logs?.() ?? []) as any[]) {
    const dir = dirs.find((d) => typeof l.dir === 'string' && l.dir.startsWith(d)) ?? dirs[0];
    if (dir !== undefined) views.get(dir)!.logs.push({ topic: l.topic, partition: l.partition, sizeInBytes: l.sizeInBytes });
  }
  return [...views.values()];
}

async function volumeBytes(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const s = await fsp.statfs(dir);
    return { totalBytes: BigInt(s.blocks) * BigInt(s.bsize), usableBytes: BigInt(s.bavail) * BigInt(s.bsize) };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

export function buildDirResult(view: DirView, filter: Map<string, Set<number>> | null): Omit<DirResult, 'totalBytes' | 'usableBytes'> {
  const byTopic = new Map<string, DescribeLogDirsResponse.DescribeLogDirsPartition[]>();
  for (const l of view.logs) {
    if (l.topic === '__cluster_metadata') continue; // the Raft log is not a replica clients can address
    if (filter && !filter.get(l.topic)?.has(l.partition)) continue;
    let parts = byTopic.get(l.topic);
    if (!parts) byTopic.set(l.topic, (parts = []));
    parts.push({ partitionIndex: l.partition, partitionSize: BigInt(Math.max(0, Math.floor(l.sizeInBytes ?? 0))), offsetLag: 0n, isFutureKey: false });
  }
  const topics = [...byTopic.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) }));
  return { errorCode: 0, logDir: view.logDir, topics };
}

export async function describeLogDirs(ctx: RequestContext, req: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
  let filter: Map<string, Set<number>> | null = null;
  if (Array.isArray(req.topics)) {
    filter = new Map();
    for (const t of req.topics) {
      if (typeof t?.topic !== 'string') continue;
      const set = filter.get(t.topic) ?? new Set<number>();
      for (const p of arr(t.partitions)) if (Number.isInteger(p)) set.add(p);
      filter.set(t.topic, set);
    }
  }
  let views: DirView[];
  try {
    views = logDirViews(ctx.services.replicas.logManager);
  } catch (err) {
    ctx.services.log.error('DescribeLogDirs: listing log dirs failed', err);
    return { throttleTimeMs: 0, errorCode: Err.KAFKA_STORAGE_ERROR, results: [] } as DescribeLogDirsResponse;
  }
  const results: DirResult[] = [];
  for (const v of views) {
    const r = buildDirResult(v, filter);
    const bytes = ctx.apiVersion >= 4 ? await volumeBytes(v.logDir) : { totalBytes: -1n, usableBytes: -1n };
    results.push({ ...r, ...bytes } as DirResult);
  }
  return { throttleTimeMs: 0, errorCode: 0, results } as DescribeLogDirsResponse;
}

export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle: (ctx, req) => describeLogDirs(ctx, req),
  errorResponse(_ctx, _req, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] } as DescribeLogDirsResponse;
  },
};
