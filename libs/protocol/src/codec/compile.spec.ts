import { Reader } from '../primitives/reader';
import { Writer } from '../primitives/writer';
import { compileStruct, structDefaults } from './compile';
import { FieldSchema } from './schema';

// Synthetic schemas exercise paths the Kafka specs don't reach (non-identifier names use the loop-based codec).
const fields: FieldSchema[] = [
  { name: 'plain', specName: 'Plain', type: 'int32', versions: [0, 0x7fff], default: 7 },
  { name: 'odd-name', specName: 'OddName', type: 'string', versions: [1, 0x7fff], nullable: [1, 0x7fff] },
  { name: 'tagged', specName: 'Tagged', type: 'int64', versions: [2, 0x7fff], tag: 4, taggedVersions: [2, 0x7fff], default: '-1' },
  {
    name: 'inner',
    specName: 'Inner',
    type: 'struct',
    struct: 'Inner',
    versions: [0, 0x7fff],
    nullable: [1, 0x7fff],
    fields: [{ name: 'x', specName: 'X', type: 'int8', versions: [0, 0x7fff] }],
  },
];

function roundTrip(version: number, flexible: boolean, value: Record<string, unknown>): Record<string, unknown> {
  const c = compileStruct(fields, version, flexible);
  const w = new Writer();
  c.write(w, value);
  const r = new Reader(w.toBuffer());
  const out = c.read(r);
  expect(r.remaining).toBe(0);
  return out;
}

describe('compileStruct', () => {
  test('defaults cover every field', () => {
    expect(structDefaults(fields)).toEqual({ plain: 7, 'odd-name': '', tagged: -1n, inner: { x: 0 } });
  });

  test('loop-based codec for non-identifier names, per version', () => {
    expect(roundTrip(0, false, { plain: 1, 'odd-name': 'ignored', inner: { x: 3 } })).toEqual({ plain: 1, 'odd-name': '', tagged: -1n, inner: { x: 3 } });
    expect(roundTrip(1, false, { plain: 1, 'odd-name': null, inner: null })).toEqual({ plain: 1, 'odd-name': null, tagged: -1n, inner: null });
    expect(roundTrip(2, true, { plain: 1, 'odd-name': 'é', tagged: 5n, inner: { x: -1 } })).toEqual({ plain: 1, 'odd-name': 'é', tagged: 5n, inner: { x: -1 } });
    // tagged field at its default is not written: plain(4) + compact string(1+2) + presence(1) + x(1) + inner
    // tags(1) + outer tags(1)
    const w = new Writer();
    compileStruct(fields, 2, true).write(w, { plain: 1, 'odd-name': 'é' });
    expect(w.length).toBe(4 + 3 + 1 + 1 + 1 + 1);
  });

  test('compiled once per version and flexibility', () => {
    expect(compileStruct(fields, 2, true)).toBe(compileStruct(fields, 2, true));
    expect(compileStruct(fields, 2, true)).not.toBe(compileStruct(fields, 2, false));
  });
});
