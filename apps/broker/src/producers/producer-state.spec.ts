import { ErrorCode } from '@runnel/protocol';
import { BATCH_WINDOW, PartitionProducerState, nextSequence } from './producer-state';

const h = (producerId: number, producerEpoch: number, baseSequence: number, records = 1) => ({
  producerId,
  producerEpoch,
  baseSequence,
  lastOffsetDelta: records - 1,
});

describe('PartitionProducerState (idempotence window)', () => {
  it('accepts any first sequence from an unknown producer, then requires the next one', () => {
    const s = new PartitionProducerState();
    expect(s.check(h(7, 0, 42))).toEqual({ kind: 'append' });
    s.record(h(7, 0, 42, 3), 100, 1);
    expect(s.check(h(7, 0, 45))).toEqual({ kind: 'append' });
    const gap = s.check(h(7, 0, 46));
    expect(gap.kind).toBe('error');
    expect(gap.kind === 'error' && gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });

  it('recognises a retried batch within the last 5 and returns its original offsets', () => {
    const s = new PartitionProducerState();
    let offset = 0;
    for (let seq = 0; seq < 10; seq += 2) {
      s.record(h(1, 0, seq, 2), offset, 0);
      offset += 2;
    }
    // batches: seq 0-1@0, 2-3@2, 4-5@4, 6-7@6, 8-9@8
    const dup = s.check(h(1, 0, 4, 2));
    expect(dup.kind).toBe('duplicate');
    expect(dup.kind === 'duplicate' && dup.batch.firstOffset).toBe(4);
    // a different shape at a known sequence is not a duplicate: it is out of order
    expect(s.check(h(1, 0, 4, 1)).kind).toBe('error');
  });

  it('keeps only the last 5 batches; an older retry is out of order', () => {
    const s = new PartitionProducerState();
    for (let seq = 0; seq < 7; seq++) s.record(h(1, 0, seq), seq, 0);
    expect(s.producers.get(1)!.batches).toHaveLength(BATCH_WINDOW);
    expect(s.check(h(1, 0, 1)).kind).toBe('error');
    expect(s.check(h(1, 0, 2)).kind).toBe('duplicate');
    expect(s.check(h(1, 0, 7)).kind).toBe('append');
  });

  it('fences older epochs and restarts sequences at 0 for a new epoch', () => {
    const s = new PartitionProducerState();
    s.record(h(3, 2, 0, 5), 0, 0);
    const old = s.check(h(3, 1, 5));
    expect(old.kind === 'error' && old.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const badNew = s.check(h(3, 3, 5));
    expect(badNew.kind === 'error' && badNew.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(s.check(h(3, 3, 0))).toEqual({ kind: 'append' });
    s.record(h(3, 3, 0), 5, 0);
    expect(s.producers.get(3)!.epoch).toBe(3);
    expect(s.producers.get(3)!.batches).toHaveLength(1);
  });

  it('wraps sequences at Int32.MAX_VALUE', () => {
    expect(nextSequence(2147483647, 1)).toBe(0);
    const s = new PartitionProducerState();
    s.record(h(9, 0, 2147483646, 2), 0, 0); // 2147483646, 2147483647
    expect(s.check(h(9, 0, 0))).toEqual({ kind: 'append' });
  });

  it('forgets batches below a new log start offset', () => {
    const s = new PartitionProducerState();
    s.record(h(1, 0, 0), 0, 0);
    s.record(h(2, 0, 0), 10, 0);
    s.truncateHead(5);
    expect(s.producers.has(1)).toBe(false);
    expect(s.producers.has(2)).toBe(true);
  });

  it('expires producers idle for longer than producer.id.expiration.ms', () => {
    const s = new PartitionProducerState();
    s.record(h(1, 0, 0), 0, 0);
    s.record(h(2, 0, 0), 1, 0);
    s.producers.get(1)!.lastSeenMs = Date.now() - 10_000;
    expect(s.expire(Date.now() - 5_000)).toBe(1);
    expect([...s.producers.keys()]).toEqual([2]);
  });
});
