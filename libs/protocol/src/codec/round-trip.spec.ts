import { Reader } from '../primitives/reader';
import { arbitraryMessage, ArbitraryMode, Rng } from '../testing/arbitrary';
import { decodeMessage, encodeMessage, SCHEMAS } from './messages';

// Every spec (requests, responses, headers, data, metadata and internal records) at every valid version.
const MODES: ArbitraryMode[] = ['typical', 'typical', 'nulls', 'empty', 'large'];

describe('round trip of every message and version', () => {
  const names = Object.keys(SCHEMAS).sort();

  test('covers all specs', () => {
    expect(names.length).toBeGreaterThanOrEqual(244);
  });

  test.each(names)('%s', (name) => {
    const schema = SCHEMAS[name];
    const [min, max] = schema.validVersions;
    for (let v = min; v <= max; v++) {
      MODES.forEach((mode, i) => {
        const rng = new Rng(v * 7919 + i * 104729 + name.length);
        const value = arbitraryMessage(schema, v, rng, mode);
        const bytes = encodeMessage(name, v, value);
        const r = new Reader(bytes);
        const decoded = decodeMessage(name, v, r);
        if (r.remaining !== 0) throw new Error(`${name} v${v} ${mode}: ${r.remaining} trailing byte(s)`);
        try {
          // deep equality for large values is slow; the byte-identical re-encode below covers them
          if (mode !== 'large') expect(decoded).toEqual(value);
        } catch (e) {
          throw new Error(`${name} v${v} ${mode}: ${(e as Error).message}`);
        }
        // re-encoding the decoded value is byte-identical
        expect(encodeMessage(name, v, decoded).equals(bytes)).toBe(true);
      });
    }
  });
});
