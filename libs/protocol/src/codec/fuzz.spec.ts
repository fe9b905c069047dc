import { KafkaProtocolError } from '../errors/kafka-protocol-error';
import { API_SPECS } from '../generated/api-keys';
import { arbitraryMessage, Rng } from '../testing/arbitrary';
import { decodeMetadataRecord, decodeRequestFrame, decodeResponse, encodeMetadataRecord, encodeRequest, encodeResponse, SCHEMAS } from './messages';

/*
 * Hostile input: mutate valid frames and check that decoding either succeeds or throws KafkaProtocolError, that
 * decoded arrays never hold more elements than the frame has bytes, that byte values are views of the frame (no
 * copies), and that no single decode takes long. Seeded and bounded in time.
 */
const BUDGET_MS = 3000;
const SEED = 20261122;

type Target = { kind: 'request' | 'response' | 'metadata'; apiKey: number; version: number; frame: Buffer };

function buildCorpus(rng: Rng): Target[] {
  const out: Target[] = [];
  for (const spec of Object.values(API_SPECS)) {
    for (let v = spec.validVersions[0]; v <= spec.validVersions[1]; v++) {
      const req = arbitraryMessage(SCHEMAS[spec.requestName], v, rng, 'typical');
      const reqFrame = Buffer.concat(encodeRequest({ apiKey: spec.apiKey, apiVersion: v, correlationId: 1, clientId: 'fuzz' }, req));
      out.push({ kind: 'request', apiKey: spec.apiKey, version: v, frame: reqFrame.subarray(4) });
      const resp = arbitraryMessage(SCHEMAS[spec.responseName], v, rng, 'typical');
      out.push({ kind: 'response', apiKey: spec.apiKey, version: v, frame: Buffer.concat(encodeResponse(spec.apiKey, v, 1, resp)).subarray(4) });
    }
  }
  for (const s of Object.values(SCHEMAS)) {
    if (s.kind !== 'metadata') continue;
    const v = s.validVersions[1];
    out.push({ kind: 'metadata', apiKey: s.apiKey ?? 0, version: v, frame: encodeMetadataRecord({ name: s.name, version: v, data: arbitraryMessage(s, v, rng, 'typical') }) });
  }
  return out;
}

function mutate(src: Buffer, rng: Rng): Buffer {
  const b = Buffer.from(src);
  const n = rng.int(1, 4);
  let out = b;
  for (let i = 0; i < n; i++) {
    const at = rng.int(0, Math.max(0, out.length - 1));
    switch (rng.int(0, 5)) {
      case 0: // flip a byte
        if (out.length) out[at] = rng.int(0, 255);
        break;
      case 1: // truncate
        out = out.subarray(0, at);
        break;
      case 2: // huge length/count (int32 or int16 sized)
        if (out.length >= at + 4) out.writeInt32BE(rng.pick([0x7fffffff, -2, 0x10000000, 65535]), at);
        else if (out.length >= at + 2) out.writeInt16BE(rng.pick([0x7fff, -2]), at);
        break;
      case 3: // huge varint
        if (out.length >= at + 5) Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]).copy(out, at);
        break;
      case 4: // insert random bytes
        out = Buffer.concat([out.subarray(0, at), rng.bytes(rng.int(1, 8)), out.subarray(at)]);
        break;
      case 5: // bit flip
        if (out.length) out[at] ^= 1 << rng.int(0, 7);
        break;
    }
  }
  return out;
}

/** Counts array elements and checks every Buffer is a view into `frame`. */
function inspect(v: unknown, frame: Buffer, acc: { elements: number; foreign: number }): void {
  if (Buffer.isBuffer(v)) {
    if (v.length > 0 && v.buffer !== frame.buffer) acc.foreign++;
  } else if (Array.isArray(v)) {
    acc.elements += v.length;
    for (const x of v) inspect(x, frame, acc);
  } else if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) inspect(x, frame, acc);
  }
}

test('mutated frames decode or throw KafkaProtocolError, bounded by the frame', () => {
  const rng = new Rng(SEED);
  const corpus = buildCorpus(rng);
  const start = Date.now();
  let runs = 0;
  let ok = 0;
  let slowest = 0;
  const codes = new Map<number, number>();
  while (Date.now() - start < BUDGET_MS) {
    const t = rng.pick(corpus);
    const frame = mutate(t.frame, rng);
    const t0 = performance.now();
    let decoded: unknown;
    try {
      if (t.kind === 'request') decoded = decodeRequestFrame(frame);
      else if (t.kind === 'response') decoded = decodeResponse(t.apiKey, t.version, frame);
      else decoded = decodeMetadataRecord(frame);
      ok++;
    } catch (e) {
      if (!(e instanceof KafkaProtocolError)) {
        throw new Error(`${t.kind} ${t.apiKey} v${t.version}: non-protocol error ${(e as Error).stack}\nframe ${frame.toString('hex')}`);
      }
      codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
    }
    slowest = Math.max(slowest, performance.now() - t0);
    if (decoded !== undefined) {
      const acc = { elements: 0, foreign: 0 };
      inspect(decoded, frame, acc);
      expect(acc.elements).toBeLessThanOrEqual(frame.length);
      expect(acc.foreign).toBe(0);
    }
    runs++;
  }
  expect(runs).toBeGreaterThan(1000);
  expect(slowest).toBeLessThan(500);
  expect(ok).toBeGreaterThan(0);
  expect(codes.size).toBeGreaterThan(0);
});
