// Seeded, time-bounded mutation fuzzing of the batch paths: whatever the bytes, splitRecordBatches,
// validateRecordBatch and decodeRecordBatch either succeed or throw KafkaProtocolError, and never hang.
import { KafkaProtocolError } from '../errors';
import { splitRecordBatches, validateRecordBatch } from './record-batch-view';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const seeds = [
  ...[0, 1, 2, 3, 4].map((c) =>
    encodeRecordBatch({
      compression: c,
      records: Array.from({ length: 6 }, (_, i) => ({
        key: i % 3 === 0 ? null : `key-${i}`,
        value: Buffer.alloc(50 + i * 30, i),
        headers: i % 2 ? [{ key: 'h', value: 'v' }, { key: 'n', value: null }] : [],
        timestamp: 1_700_000_000_000 + i,
      })),
    }),
  ),
];

describe('record batch fuzz', () => {
  it('mutated batches only ever raise KafkaProtocolError', () => {
    const rand = rng(0xc0ffee);
    const deadline = Date.now() + 1500;
    let runs = 0;
    let accepted = 0;
    while (Date.now() < deadline) {
      const base = seeds[Math.floor(rand() * seeds.length)];
      let buf = Buffer.from(base);
      const kind = rand();
      if (kind < 0.5) {
        const flips = 1 + Math.floor(rand() * 4);
        for (let i = 0; i < flips; i++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      } else if (kind < 0.7) {
        buf = buf.subarray(0, Math.floor(rand() * buf.length));
      } else if (kind < 0.85) {
        // mutate a header field to extreme values
        const at = [8, 16, 22, 23, 57][Math.floor(rand() * 5)];
        const v = [0, -1, 0x7fffffff, 1, 61][Math.floor(rand() * 5)];
        if (at === 16) buf[at] = v & 0xff;
        else if (at === 22) buf[at] = v & 0xff;
        else buf.writeInt32BE(v, at);
      } else {
        buf = Buffer.concat([buf, buf.subarray(0, Math.floor(rand() * buf.length))]);
      }
      for (const verify of [true, false]) {
        try {
          for (const v of splitRecordBatches(buf)) {
            validateRecordBatch(v, { checkCrc: verify, checkOffsetRange: false });
            decodeRecordBatch(v, { verifyCrc: verify, maxOutputBytes: 1 << 20 });
          }
          accepted++;
        } catch (e) {
          if (!(e instanceof KafkaProtocolError)) {
            throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message} for ${buf.toString('hex')}`);
          }
        }
      }
      runs++;
    }
    expect(runs).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(0);
  });

  it('mutated compressed payloads behind a valid CRC only ever raise KafkaProtocolError', () => {
    const rand = rng(42);
    const deadline = Date.now() + 1500;
    let runs = 0;
    while (Date.now() < deadline) {
      const base = seeds[1 + Math.floor(rand() * 4)];
      const buf = Buffer.from(base);
      const flips = 1 + Math.floor(rand() * 3);
      for (let i = 0; i < flips; i++) buf[61 + Math.floor(rand() * (buf.length - 61))] = Math.floor(rand() * 256);
      try {
        decodeRecordBatch(buf, { verifyCrc: false, maxOutputBytes: 1 << 20 });
      } catch (e) {
        if (!(e instanceof KafkaProtocolError)) {
          throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message} (codec ${buf[22] & 7})`);
        }
      }
      runs++;
    }
    expect(runs).toBeGreaterThan(50);
  });
});
