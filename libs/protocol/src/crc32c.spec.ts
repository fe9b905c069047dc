import { crc32c, crc32cJs, CRC32C_IMPLEMENTATION } from './crc32c';

// Check values: RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
const vectors: Array<[string, Buffer, number]> = [
  ['empty', Buffer.alloc(0), 0x00000000],
  ['123456789', Buffer.from('123456789'), 0xe3069283],
  ['32 zero bytes', Buffer.alloc(32, 0x00), 0x8a9136aa],
  ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 ascending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 descending bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

describe('crc32c', () => {
  it('uses the native implementation on this machine', () => {
    expect(CRC32C_IMPLEMENTATION).toBe('native');
  });

  for (const [name, fn] of [
    ['default', crc32c],
    ['js fallback', crc32cJs],
  ] as const) {
    describe(name, () => {
      it.each(vectors)('matches the check value for %s', (_n, buf, want) => {
        expect(fn(buf)).toBe(want);
      });

      it('continues a running checksum', () => {
        const all = Buffer.from('The quick brown fox jumps over the lazy dog, twice over and more.');
        for (const cut of [0, 1, 7, 8, 9, 33, all.length]) {
          expect(fn(all.subarray(cut), fn(all.subarray(0, cut)))).toBe(fn(all));
        }
      });

      it('returns an unsigned 32-bit value', () => {
        const v = fn(Buffer.from('123456789'));
        expect(v).toBeGreaterThan(0x7fffffff);
        expect(Number.isInteger(v)).toBe(true);
      });
    });
  }

  it('js fallback agrees with native on random data of every alignment', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const buf = Buffer.alloc(4099);
    for (let i = 0; i < buf.length; i++) buf[i] = rnd();
    for (let start = 0; start < 9; start++) {
      for (const len of [0, 1, 5, 8, 15, 16, 17, 100, 4000]) {
        const s = buf.subarray(start, start + len);
        expect(crc32cJs(s)).toBe(crc32c(s));
      }
    }
  });

  it('falls back to the pure-JS implementation when the native module is unavailable', () => {
    const saved = process.env.RUNNEL_CRC32C_JS;
    process.env.RUNNEL_CRC32C_JS = '1';
    try {
      jest.isolateModules(() => {
        const mod = require('./crc32c') as typeof import('./crc32c');
        expect(mod.CRC32C_IMPLEMENTATION).toBe('js');
        expect(mod.crc32c).toBe(mod.crc32cJs);
        expect(mod.crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
      });
    } finally {
      if (saved === undefined) delete process.env.RUNNEL_CRC32C_JS;
      else process.env.RUNNEL_CRC32C_JS = saved;
    }
  });
});
