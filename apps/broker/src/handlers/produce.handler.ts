// Produce v0-9.
// Behaviour: validates each v2 batch (header, CRC, record framing; no decoding or re-encoding), Kafka's record rules
// (one batch per partition from v3, zstd from v7, keys on compacted topics, CreateTime bounds), enforces
// max.message.bytes per batch (MESSAGE_TOO_LARGE), refuses client writes to internal topics, checks leadership (NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION), acks must be
// 0, 1 or -1 (INVALID_REQUIRED_ACKS); acks=-1 needs |ISR| >= min.insync.replicas (NOT_ENOUGH_REPLICAS) and is
// answered only once the high watermark covers the append: NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR falls
// below min.insync.replicas meanwhile, NOT_LEADER_OR_FOLLOWER if leadership moves, REQUEST_TIMED_OUT after the
// request's timeout (the records may still commit later; an idempotent retry is then answered as a duplicate).
// Idempotent batches (producerId >= 0) go through the per-(producer, partition) sequence window: a retried batch
// is answered with its original offset, a gap gets OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch
// INVALID_PRODUCER_EPOCH. The log patches base offsets/leader epochs in place; for LogAppendTime topics it also
// stamps the batch timestamp and recomputes the batch CRC (header fields only, records untouched).
// acks=0 gets no response at all; if a partition failed, the connection is closed instead (as Kafka does).
// Version notes: v0-2 (magic 0/1 message sets) are advertised for librdkafka's feature probing but only v2 record
// batches are stored: old formats get UNSUPPORTED_FOR_MESSAGE_FORMAT. Transactions are not supported.
import { ApiKey, ErrorCode, KafkaProtocolError, RecordBatchView, errorInfo, splitRecordBatches, validateRecordBatch } from '@runnel/protocol';
import type { ValidateOptions } from '@runnel/protocol';
import type { ProduceRequest, ProduceResponse } from '@runnel/protocol';
import { isInternalTopic } from '@runnel/metadata';
import type { ApiHandler, RequestContext } from '../api/handler';
import type { Partition } from '../partitions/partition';
import { loadProducerState } from '../producers/producer-state-loader';
import type { BatchMetadata } from '../producers/producer-state';

type PartitionResult = ProduceResponse.PartitionProduceResponse;

const NO_TIMESTAMP = -1n;

function result(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return {
    index,
    errorCode,
    baseOffset: -1n,
    logAppendTimeMs: NO_TIMESTAMP,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage,
  };
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 9,

  async handle(ctx: RequestContext, req: ProduceRequest): Promise<ProduceResponse | null> {
    const { services } = ctx;
    const acks = req.acks;
    const pending: Array<Promise<void>> = [];
    const responses: ProduceResponse.TopicProduceResponse[] = [];

    for (const topic of req.topicData) {
      const partitionResponses: PartitionResult[] = [];
      responses.push({ name: topic.name, partitionResponses });
      for (const pd of topic.partitionData) {
        const slot = partitionResponses.length;
        partitionResponses.push(result(pd.index, 0));
        const set = (r: PartitionResult): void => {
          partitionResponses[slot] = r;
          services.metrics.produceRequests.inc({ topic: topic.name, result: r.errorCode === 0 ? 'ok' : errorInfo(r.errorCode).name });
        };
        if (acks !== 0 && acks !== 1 && acks !== -1) {
          set(result(pd.index, ErrorCode.INVALID_REQUIRED_ACKS));
          continue;
        }
        if (req.transactionalId !== null && req.transactionalId !== undefined) {
          set(result(pd.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker'));
          continue;
        }
        // Everything up to the append is synchronous so appends happen in request order.
        const outcome = prepare(ctx, topic.name, pd.index, pd.records, acks);
        if ('error' in outcome) {
          set(result(pd.index, outcome.error, outcome.message ?? null));
          continue;
        }
        pending.push(append(ctx, outcome).then((r) => (acks === -1 ? awaitCommit(ctx, outcome.partition, r, req.timeoutMs) : r.result)).then(set));
      }
    }

    if (pending.length > 0) await Promise.all(pending);
    if (acks === 0) {
      // No response to carry the error: like Kafka, close the connection so the client notices and refreshes.
      const failed = responses.flatMap((t) => t.partitionResponses.filter((r) => r.errorCode !== 0).map((r) => `${t.name}-${r.index}: ${errorInfo(r.errorCode).name}`));
      if (failed.length > 0) throw new KafkaProtocolError(ErrorCode.NONE, `acks=0 produce failed (${failed.join(', ')}); closing the connection`);
      return null;
    }
    return { responses, throttleTimeMs: 0 };
  },
};

interface Prepared {
  topic: string;
  partition: Partition;
  records: Buffer;
  views: RecordBatchView[];
}

function prepare(
  ctx: RequestContext,
  topic: string,
  index: number,
  records: Buffer | null,
  acks: number,
  version = ctx.apiVersion,
): Prepared | { error: number; message?: string } {
  const { services } = ctx;
  // Kafka only lets its coordinators write to internal topics (they append directly, not through Produce).
  if (isInternalTopic(topic) && services.metadata.topic(topic)) {
    return { error: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `cannot append to internal topic ${topic}` };
  }
  const lookup = services.replicas.leaderFor(topic, index);
  if (!lookup.partition) return { error: lookup.errorCode };
  const partition = lookup.partition;
  if (!records || records.length === 0) return { error: ErrorCode.CORRUPT_MESSAGE, message: 'empty record set' };

  let views: RecordBatchView[];
  try {
    views = splitRecordBatches(records);
    if (views.length === 0) return { error: ErrorCode.CORRUPT_MESSAGE, message: 'no record batch in the request' };
    if (version >= 3 && views.length !== 1) {
      return { error: ErrorCode.INVALID_RECORD, message: `Produce v${version} must carry exactly one record batch per partition` };
    }
    const options = validationOptions(services, topic);
    for (const v of views) {
      if (v.compression === 4 && version < 7) {
        return { error: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, message: 'zstd batches need Produce v7 or later' };
      }
      validateRecordBatch(v, options);
    }
  } catch (err) {
    const code = err instanceof KafkaProtocolError ? err.code : ErrorCode.CORRUPT_MESSAGE;
    return { error: code, message: (err as Error).message };
  }

  const maxMessageBytes = services.topicConfigs.getNumber(topic, 'max.message.bytes', 1048588);
  for (const v of views) {
    if (v.totalSize > maxMessageBytes) {
      return {
        error: ErrorCode.MESSAGE_TOO_LARGE,
        message: `batch of ${v.totalSize} bytes is larger than max.message.bytes (${maxMessageBytes})`,
      };
    }
    if (v.isControl) return { error: ErrorCode.INVALID_RECORD, message: 'clients may not produce control batches' };
    if (v.isTransactional) return { error: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, message: 'transactions are not supported' };
  }

  if (acks === -1) {
    const minIsr = services.topicConfigs.getNumber(topic, 'min.insync.replicas', 1);
    if (partition.isr.length < minIsr) {
      return {
        error: ErrorCode.NOT_ENOUGH_REPLICAS,
        message: `${partition.isr.length} in-sync replicas is below min.insync.replicas (${minIsr})`,
      };
    }
  }
  return { topic, partition, records, views };
}

/**
 * Kafka's per-topic record checks: keys are required on compacted topics (compressed batches are inflated, bounded,
 * only for those), and CreateTime timestamps must lie within message.timestamp.before/after.max.ms of now
 * (checked on uncompressed batches; compressed ones are not inflated just for that).
 */
function validationOptions(services: RequestContext['services'], topic: string): ValidateOptions {
  const opts: ValidateOptions = {};
  const policy = services.topicConfigs.get(topic, 'cleanup.policy') ?? 'delete';
  if (policy.includes('compact')) {
    opts.requireKeys = true;
    opts.inspectCompressed = true;
  }
  if (services.topicConfigs.get(topic, 'message.timestamp.type') !== 'LogAppendTime') {
    const now = Date.now();
    const before = services.topicConfigs.getNumber(topic, 'message.timestamp.before.max.ms', Number.MAX_SAFE_INTEGER);
    const after = services.topicConfigs.getNumber(topic, 'message.timestamp.after.max.ms', Number.MAX_SAFE_INTEGER);
    if (before < now || after < Number.MAX_SAFE_INTEGER - now) {
      opts.timestampRange = {
        min: before >= now ? Number.MIN_SAFE_INTEGER : now - before,
        max: after >= Number.MAX_SAFE_INTEGER - now ? Number.MAX_SAFE_INTEGER : now + after,
      };
    }
  }
  return opts;
}

interface Appended {
  result: PartitionResult;
  /** Offset the high watermark must reach for the records to be committed (-1 on error). */
  commitOffset: number;
}

/** acks=all: hold the answer until the append is replicated to the ISR. */
async function awaitCommit(ctx: RequestContext, partition: Partition, r: Appended, timeoutMs: number): Promise<PartitionResult> {
  if (r.result.errorCode !== 0 || r.commitOffset < 0) return r.result;
  const outcome = await partition.waitForCommit(r.commitOffset, timeoutMs, ctx.signal);
  if (outcome === 'committed') return r.result;
  const code =
    outcome === 'not-leader'
      ? ErrorCode.NOT_LEADER_OR_FOLLOWER
      : outcome === 'not-enough-replicas'
        ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND
        : ErrorCode.REQUEST_TIMED_OUT;
  return result(r.result.index, code, `records appended at ${r.result.baseOffset} were not replicated to the ISR (${outcome})`);
}

async function append(ctx: RequestContext, p: Prepared): Promise<Appended> {
  const { services } = ctx;
  const { partition, views } = p;
  const index = partition.partition;
  const idempotent = views.some((v) => v.producerId >= 0);

  try {
    return await partition.exclusive(async () => {
      let state = null;
      if (idempotent) {
        state = services.producers.forPartition(partition.key);
        if (!state.loaded) await loadProducerState(partition, state);
        for (const v of views) {
          if (v.producerId < 0) continue;
          const check = state.check(v);
          if (check.kind === 'duplicate') return { result: duplicateResult(index, check.batch, partition), commitOffset: check.batch.lastOffset + 1 };
          if (check.kind === 'error') return { result: result(index, check.errorCode, check.message), commitOffset: -1 };
        }
      }
      // The log stamps LogAppendTime topics itself (attributes + maxTimestamp, CRC recomputed).
      const res = await partition.appendAsLeader(p.records);
      if (state) {
        // Offsets inside this append follow the batches' offset deltas.
        let base = res.firstOffset;
        for (const v of views) {
          if (v.producerId >= 0) state.record(v, base, v.maxTimestamp);
          base += v.lastOffsetDelta + 1;
        }
      }
      services.metrics.messagesIn.inc({ topic: p.topic }, res.recordCount);
      services.metrics.bytesIn.inc({ topic: p.topic }, p.records.length);
      const out = result(index, 0);
      out.baseOffset = BigInt(res.firstOffset);
      out.logStartOffset = BigInt(partition.logStartOffset);
      if (res.logAppendTime >= 0) out.logAppendTimeMs = BigInt(res.logAppendTime);
      return { result: out, commitOffset: res.lastOffset + 1 };
    });
  } catch (err) {
    if (!(err instanceof KafkaProtocolError)) services.log.error(`append to ${partition.key} failed`, err);
    const code = err instanceof KafkaProtocolError ? err.code : storageErrorCode(err);
    return { result: result(index, code, (err as Error).message), commitOffset: -1 };
  }
}

function duplicateResult(index: number, batch: BatchMetadata, partition: Partition): PartitionResult {
  // Kafka answers a retried batch with success and the offsets it got the first time.
  const out = result(index, 0);
  out.baseOffset = BigInt(batch.firstOffset);
  out.logStartOffset = BigInt(partition.logStartOffset);
  return out;
}

function storageErrorCode(err: unknown): number {
  const name = (err as Error)?.name ?? '';
  if (name === 'RecordListTooLargeError') return ErrorCode.RECORD_LIST_TOO_LARGE;
  if (name === 'CorruptRecordError') return ErrorCode.CORRUPT_MESSAGE;
  if (name === 'LogClosedError') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return ErrorCode.KAFKA_STORAGE_ERROR;
}
