import { parseProperties, parsePropertiesToMap } from './properties';
import { ConfigError } from './errors';

describe('parseProperties', () => {
  it('skips comments and blank lines and splits on =, : and whitespace', () => {
    const text = ['# comment', '! also a comment', '', '   ', 'a=1', 'b : 2', 'c 3', 'd\t=\t4', 'e', 'f=', '  g = spaced value  '].join('\n');
    const m = parsePropertiesToMap(text);
    expect(Object.fromEntries(m)).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '', f: '', g: 'spaced value  ' });
  });

  it('joins continuation lines and drops the leading whitespace of the next line', () => {
    const m = parsePropertiesToMap('listeners=PLAINTEXT://127.0.0.1:9092,\\\n    CONTROLLER://127.0.0.1:9093\nnext=x');
    expect(m.get('listeners')).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(m.get('next')).toBe('x');
  });

  it('treats an even number of trailing backslashes as an escaped backslash, not a continuation', () => {
    const m = parsePropertiesToMap('path=C:\\\\dir\\\\\nother=1');
    expect(m.get('path')).toBe('C:\\dir\\');
    expect(m.get('other')).toBe('1');
  });

  it('decodes escapes in keys and values', () => {
    const m = parsePropertiesToMap('key\\ with\\=eq\\:colon=v\\tal\\nue\\u00e9\\q');
    expect(m.get('key with=eq:colon')).toBe('v\tal\nue\u00e9q');
  });

  it('handles CRLF and CR line endings and a BOM', () => {
    const m = parsePropertiesToMap('\ufeffa=1\r\nb=2\rc=3');
    expect(Object.fromEntries(m)).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('does not continue a comment line', () => {
    const m = parsePropertiesToMap('# comment \\\na=1');
    expect(m.get('a')).toBe('1');
  });

  it('reports the line number of each entry and lets later duplicates win', () => {
    const entries = parseProperties('a=1\n\nb=2\\\n 3\na=4');
    expect(entries.map((e) => [e.key, e.value, e.line])).toEqual([
      ['a', '1', 1],
      ['b', '23', 3],
      ['a', '4', 5],
    ]);
    expect(parsePropertiesToMap('a=1\na=4').get('a')).toBe('4');
  });

  it('rejects a malformed \\u escape with the line number', () => {
    expect(() => parseProperties('ok=1\nbad=\\u12g4', 'server.properties')).toThrow(ConfigError);
    expect(() => parseProperties('ok=1\nbad=\\u12g4', 'server.properties')).toThrow(/server.properties at line 2/);
  });
});
