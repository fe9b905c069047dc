import { KafkaProtocolError } from '../errors/kafka-protocol-error';
import { FrameDecoder } from './frame-decoder';

function frame(payload: string): Buffer {
  const b = Buffer.from(payload);
  const out = Buffer.alloc(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
}

describe('FrameDecoder', () => {
  test('several frames in one chunk come out as zero-copy slices', () => {
    const chunk = Buffer.concat([frame('abc'), frame(''), frame('hello')]);
    const frames = new FrameDecoder().push(chunk);
    expect(frames.map((f) => f.toString())).toEqual(['abc', '', 'hello']);
    expect(frames[0].buffer).toBe(chunk.buffer);
  });

  test('frames split at every possible byte boundary', () => {
    const all = Buffer.concat([frame('first'), frame('second-frame'), frame('x')]);
    for (let cut = 0; cut <= all.length; cut++) {
      for (let cut2 = cut; cut2 <= all.length; cut2 += 3) {
        const d = new FrameDecoder();
        const got = [...d.push(all.subarray(0, cut)), ...d.push(all.subarray(cut, cut2)), ...d.push(all.subarray(cut2))];
        expect(got.map((f) => f.toString())).toEqual(['first', 'second-frame', 'x']);
        expect(d.buffered).toBe(0);
      }
    }
  });

  test('byte-by-byte delivery', () => {
    const all = Buffer.concat([frame('one'), frame('two')]);
    const d = new FrameDecoder();
    const got: string[] = [];
    for (const b of all) got.push(...d.push(Buffer.from([b])).map((f) => f.toString()));
    expect(got).toEqual(['one', 'two']);
  });

  test('oversized or negative sizes are rejected before buffering', () => {
    const d = new FrameDecoder(100);
    const big = Buffer.alloc(4);
    big.writeInt32BE(101);
    expect(() => d.push(big)).toThrow(KafkaProtocolError);
    const neg = Buffer.alloc(4);
    neg.writeInt32BE(-1);
    expect(() => new FrameDecoder().push(neg)).toThrow(KafkaProtocolError);
    // the size prefix split over two chunks is still checked
    const d2 = new FrameDecoder(100);
    expect(d2.push(big.subarray(0, 2))).toEqual([]);
    expect(() => d2.push(big.subarray(2))).toThrow(KafkaProtocolError);
  });
});
