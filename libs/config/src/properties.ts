import { ConfigError } from './errors';

export interface PropertyEntry {
  key: string;
  value: string;
  /** 1-based line where the logical line starts, for error messages. */
  line: number;
}

/**
 * Parses Java `.properties` text the way java.util.Properties.load(Reader) does: `#`/`!` comment
 * lines, key/value separated by `=`, `:` or whitespace, backslash continuation lines (leading
 * whitespace of the next line dropped), and escapes (`\t \n \r \f \uXXXX`, `\x` -> `x`).
 * Later duplicates win, as in Java.
 */
export function parseProperties(text: string, source = 'properties'): PropertyEntry[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // BOM
  const lines = text.split(/\r\n|\r|\n/);
  const out: PropertyEntry[] = [];
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    let line = stripLeadingWs(lines[i]);
    i++;
    if (line.length === 0 || line[0] === '#' || line[0] === '!') continue;
    // Join continuation lines: a line ending in an odd number of backslashes continues.
    while (endsWithOddBackslashes(line)) {
      line = line.slice(0, -1);
      if (i >= lines.length) break;
      line += stripLeadingWs(lines[i]);
      i++;
    }
    const { key, value } = splitKeyValue(line, source, startLine);
    out.push({ key, value, line: startLine });
  }
  return out;
}

/** Convenience: the parsed entries as a map (last occurrence wins). */
export function parsePropertiesToMap(text: string, source?: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const e of parseProperties(text, source)) map.set(e.key, e.value);
  return map;
}

function isWs(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

function stripLeadingWs(s: string): string {
  let k = 0;
  while (k < s.length && isWs(s[k])) k++;
  return s.slice(k);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let k = s.length - 1; k >= 0 && s[k] === '\\'; k--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string, source: string, lineNo: number): { key: string; value: string } {
  let k = 0;
  let keyEnd = line.length;
  let valueStart = line.length;
  while (k < line.length) {
    const c = line[k];
    if (c === '\\') {
      k += 2; // the escaped character is part of the key
      continue;
    }
    if (c === '=' || c === ':') {
      keyEnd = k;
      valueStart = k + 1;
      break;
    }
    if (isWs(c)) {
      keyEnd = k;
      let v = k;
      while (v < line.length && isWs(line[v])) v++;
      // One `=` or `:` may follow the whitespace separator.
      if (v < line.length && (line[v] === '=' || line[v] === ':')) v++;
      valueStart = v;
      break;
    }
    k++;
  }
  if (k >= line.length) keyEnd = Math.min(keyEnd, line.length);
  let v = valueStart;
  while (v < line.length && isWs(line[v])) v++;
  return {
    key: unescape(line.slice(0, keyEnd), source, lineNo),
    value: unescape(line.slice(v), source, lineNo),
  };
}

function unescape(s: string, source: string, lineNo: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let k = 0; k < s.length; k++) {
    const c = s[k];
    if (c !== '\\') {
      out += c;
      continue;
    }
    k++;
    if (k >= s.length) break; // a lone trailing backslash (end of file) is dropped, as Java does
    const e = s[k];
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(k + 1, k + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          throw new ConfigError(`Malformed \\uxxxx encoding in ${source} at line ${lineNo}`);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        k += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}
