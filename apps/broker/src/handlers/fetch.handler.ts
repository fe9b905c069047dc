// Fetch v0-12.
// Behaviour: sessionless fetches (session id 0). Each partition is served from its leader's log as raw stored
// batch bytes (Buffers handed to the socket, never copied or re-encoded). Consumers read up to the high watermark
// (= last stable offset: no transactions); follower replicas (replica_id >= 0) read up to the log end, and their
// fetch offset is how the leader learns their progress (ISR and high watermark). max_bytes and
// partition_max_bytes are soft limits in Kafka's sense: the first batch of the first partition with data is
// returned whole even when it is larger. If fewer than min_bytes are available the request parks until new data
// (visible data for consumers, appends for followers), max_wait_ms, or a partition change; errors answer at once.
// fetch_offset outside [log start, log end] gets OFFSET_OUT_OF_RANGE; current_leader_epoch is checked
// (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); from v12 a last_fetched_epoch whose end offset on this leader is
// below fetch_offset gets a diverging_epoch instead of records (the fetcher truncates, KIP-595/KIP-320).
// preferred_read_replica is always -1.
// Version notes: v0-3 consumers get v2 batches too (no down-conversion to message sets); v12 is flexible.
import { ApiKey, ErrorCode, errorInfo } from '@runnel/protocol';
import type { FetchRequest, FetchResponse } from '@runnel/protocol';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { Partition } from '../partitions/partition';

type PartitionData = FetchResponse.PartitionData;

const EMPTY = Buffer.alloc(0);
/** Kafka caps max_wait_ms by the request timeout on the client side; keep a sane upper bound here too. */
const MAX_WAIT_CAP_MS = 60_000;

interface Slot {
  topic: string;
  req: FetchRequest.FetchPartition;
  partition: Partition | null;
  out: PartitionData;
}

/** Who is fetching: a consumer reads committed data, a follower replica reads the whole log. */
interface Reader {
  follower: boolean;
  readCommitted: boolean;
}

function emptyData(index: number, errorCode: number): PartitionData {
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

export const fetchHandler: ApiHandler<FetchRequest, FetchResponse> = {
  apiKey: ApiKey.Fetch,
  minVersion: 0,
  maxVersion: 12,

  async handle(ctx: RequestContext, req: FetchRequest): Promise<FetchResponse> {
    const { services } = ctx;
    // We never create fetch sessions; a client continuing one we don't know must start over.
    if (req.sessionId !== 0 && req.sessionEpoch !== -1 && req.sessionEpoch !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const replicaId = req.replicaId ?? -1;
    const reader: Reader = { follower: replicaId >= 0, readCommitted: req.isolationLevel === 1 };
    const slots: Slot[] = [];
    const responses: FetchResponse.FetchableTopicResponse[] = [];
    for (const t of req.topics) {
      const name = t.topic || (t.topicId ? (services.metadata.topicById(t.topicId)?.name ?? '') : '');
      const partitions: PartitionData[] = [];
      responses.push({ topic: t.topic, topicId: t.topicId, partitions });
      for (const rp of t.partitions) {
        const out = emptyData(rp.partition, 0);
        partitions.push(out);
        slots.push({ topic: name, req: rp, partition: null, out });
      }
    }

    // Resolve leadership and offsets once; errors are final.
    let anyError = false;
    const live: Slot[] = [];
    for (const s of slots) {
      const lookup = services.replicas.leaderFor(s.topic, s.req.partition);
      if (!lookup.partition) {
        s.out.errorCode = lookup.errorCode;
        anyError = true;
        continue;
      }
      const p = lookup.partition;
      const cle = s.req.currentLeaderEpoch;
      if (cle !== undefined && cle >= 0 && cle !== p.leaderEpoch) {
        s.out.errorCode = cle < p.leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
        anyError = true;
        continue;
      }
      if (reader.follower && !p.replicas.includes(replicaId)) {
        s.out.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
        anyError = true;
        continue;
      }
      if (divergence(s, p)) {
        anyError = true;
        continue;
      }
      // Only a follower whose log matches ours up to its fetch offset has those records: record its progress
      // after the divergence check, and only for an offset this log has.
      const fetchOffset = Number(s.req.fetchOffset);
      if (reader.follower && fetchOffset >= p.logStartOffset && fetchOffset <= p.logEndOffset) p.recordFollowerFetch(replicaId, fetchOffset);
      s.partition = p;
      live.push(s);
    }

    // Storage read buffers go back to its pool once the response is on the socket; reads that are
    // superseded (re-read after a long poll) are released right away.
    let held: Array<() => void> = [];
    ctx.afterResponse?.(() => held.splice(0).forEach((r) => r()));
    let bytes = await readAll(live, req, reader, held);
    if (live.some((s) => s.out.errorCode !== 0)) anyError = true;
    const maxWait = Math.min(Math.max(req.maxWaitMs, 0), MAX_WAIT_CAP_MS);
    if (!anyError && bytes < req.minBytes && maxWait > 0 && live.length > 0) {
      const outcome = await services.fetchWaiter.wait(
        live.map((s) => s.partition!),
        { bytesAvailable: bytes, minBytes: req.minBytes, maxWaitMs: maxWait, signal: ctx.signal, event: reader.follower ? 'append' : 'visible' },
      );
      if (outcome !== 'aborted') {
        // Re-check leadership (a partition may have moved or been deleted while we waited), then read again.
        for (const s of live) {
          const lookup = services.replicas.leaderFor(s.topic, s.req.partition);
          if (lookup.partition !== s.partition) {
            Object.assign(s.out, emptyData(s.req.partition, lookup.errorCode || ErrorCode.NOT_LEADER_OR_FOLLOWER));
            s.partition = null;
          }
        }
        const superseded = held;
        held = [];
        superseded.forEach((r) => r());
        bytes = await readAll(live.filter((s) => s.partition !== null), req, reader, held);
      }
    }

    for (const s of slots) {
      const result = s.out.errorCode === 0 ? 'ok' : errorInfo(s.out.errorCode).name;
      services.metrics.fetchRequests.inc({ topic: s.topic, result });
      const recs = s.out.records as Buffer | Buffer[] | null;
      const n = !recs ? 0 : Array.isArray(recs) ? recs.reduce((a, b) => a + b.length, 0) : recs.length;
      if (n > 0) (reader.follower ? services.metrics.replicationBytesOut : services.metrics.bytesOut).inc({ topic: s.topic }, n);
    }
    return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
  },
};

/**
 * A fetcher whose last fetched epoch ends earlier on this leader than its fetch offset (or is unknown here) holds
 * records this leader does not: answer with the epoch and its end offset so it truncates before fetching again.
 */
function divergence(s: Slot, p: Partition): boolean {
  const last = s.req.lastFetchedEpoch;
  if (last === undefined || last < 0) return false;
  const end = p.log.endOffsetForEpoch(last);
  if (end.epoch < 0 || (end.epoch >= last && end.endOffset >= Number(s.req.fetchOffset))) return false;
  s.out.divergingEpoch = { epoch: end.epoch, endOffset: BigInt(end.endOffset) };
  s.out.highWatermark = BigInt(p.highWatermark);
  s.out.lastStableOffset = BigInt(p.lastStableOffset);
  s.out.logStartOffset = BigInt(p.logStartOffset);
  return true;
}

/** Read every live partition within the request's limits; returns the total bytes gathered. */
async function readAll(live: Slot[], req: FetchRequest, reader: Reader, held: Array<() => void>): Promise<number> {
  let remaining = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let total = 0;
  let first = true;
  for (const s of live) {
    const p = s.partition!;
    const out = s.out;
    const fetchOffset = Number(s.req.fetchOffset);
    const logStart = p.logStartOffset;
    const logEnd = p.logEndOffset;
    const hwm = p.highWatermark;
    out.errorCode = 0;
    out.highWatermark = BigInt(hwm);
    out.lastStableOffset = BigInt(p.lastStableOffset);
    out.logStartOffset = BigInt(logStart);
    out.abortedTransactions = reader.readCommitted ? [] : null;
    out.records = EMPTY;
    if (fetchOffset < logStart || fetchOffset > logEnd) {
      out.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      continue;
    }
    const visibleEnd = reader.follower ? logEnd : reader.readCommitted ? p.lastStableOffset : hwm;
    if (fetchOffset >= visibleEnd) continue;
    const limit = Math.min(s.req.partitionMaxBytes > 0 ? s.req.partitionMaxBytes : 0, remaining);
    if (limit <= 0 && !first) continue;
    let res: { chunks: Buffer[]; bytes: number; release?: () => void };
    try {
      res = await p.log.read(fetchOffset, Math.max(limit, 0), { maxOffset: visibleEnd, minOneBatch: first });
      if (res.release) held.push(res.release);
    } catch (err) {
      const name = (err as Error)?.name;
      // A log closed under us was deleted or moved: the client should refresh its metadata.
      out.errorCode =
        name === 'OffsetOutOfRangeError' ? ErrorCode.OFFSET_OUT_OF_RANGE : name === 'LogClosedError' ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.KAFKA_STORAGE_ERROR;
      continue;
    }
    if (res.bytes > 0) {
      out.records = res.chunks.length === 1 ? res.chunks[0] : (res.chunks as any);
      total += res.bytes;
      remaining -= res.bytes;
      first = false;
    }
  }
  return total;
}
