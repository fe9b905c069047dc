#!/usr/bin/env node
/*
 * Kafka JSON message specs -> libs/protocol/src/generated/*.ts
 *
 * Usage (from the repo root):  node tools/codegen/generate.js <spec-root> [out-dir]
 *   <spec-root> holds kafka-messages/, kafka-metadata-records/, kafka-internal-records/ and kafka-docs/.
 *   [out-dir] defaults to libs/protocol/src/generated (the spec test passes a temp dir).
 *
 * Emits data, not code per version: schema tables the generic codec (libs/protocol/src/codec) compiles at run time,
 * TypeScript interfaces for every spec, the API key table and the error-code table. Output is deterministic, so a test
 * can regenerate it and compare with the committed files.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const OPEN_MAX = 0x7fff;
const SPEC_DIRS = ['kafka-messages', 'kafka-metadata-records', 'kafka-internal-records'];
const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64', 'uuid', 'string', 'bytes', 'records']);

// ---------------------------------------------------------------------------------------------------------------------
// Spec parsing

/** Removes // comments outside string literals (the specs are JSON with line comments). */
function stripComments(text) {
  let out = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === '\\') {
        out += text[++i];
      } else if (c === '"') {
        inStr = false;
      }
    } else if (c === '"') {
      inStr = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else {
      out += c;
    }
  }
  return out;
}

/** "3+" -> [3, OPEN_MAX], "0-4" -> [0, 4], "2" -> [2, 2], "none"/undefined -> null */
function parseRange(s, what) {
  if (s === undefined || s === null || s === 'none' || s === '') return null;
  s = String(s).trim();
  let m;
  if ((m = /^(\d+)\+$/.exec(s))) return [Number(m[1]), OPEN_MAX];
  if ((m = /^(\d+)-(\d+)$/.exec(s))) return [Number(m[1]), Number(m[2])];
  if ((m = /^(\d+)$/.exec(s))) return [Number(m[1]), Number(m[1])];
  throw new Error(`Bad version range '${s}' in ${what}`);
}

function lowerCamel(name) {
  // Leading acronyms stay readable: "ISR" would become "iSR"; Kafka field names are UpperCamel, so only the
  // first character changes.
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function normalizeDefault(type, raw, where) {
  if (raw === undefined) return undefined;
  if (raw === null || raw === 'null') return null;
  const s = typeof raw === 'string' ? raw.trim() : raw;
  switch (type) {
    case 'bool':
      if (s === true || s === 'true') return true;
      if (s === false || s === 'false') return false;
      break;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const n = typeof s === 'number' ? s : /^-?0x/i.test(s) ? parseInt(s, 16) : Number(s);
      if (Number.isInteger(n)) return n;
      break;
    }
    case 'int64': {
      const n = typeof s === 'number' ? BigInt(s) : BigInt(s);
      return n.toString();
    }
    case 'float64':
      return Number(s);
    case 'string':
      return String(s);
    default:
      // arrays/structs only ever default to null in the specs; other values are not meaningful
      if (s === '' || s === '[]') return undefined;
  }
  throw new Error(`Unsupported default ${JSON.stringify(raw)} for ${type} at ${where}`);
}

function loadSpecs(root) {
  const specs = [];
  for (const dir of SPEC_DIRS) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) throw new Error(`Missing spec folder ${full}`);
    for (const file of fs.readdirSync(full).filter((f) => f.endsWith('.json')).sort()) {
      const text = fs.readFileSync(path.join(full, file), 'utf8');
      let json;
      try {
        json = JSON.parse(stripComments(text));
      } catch (e) {
        throw new Error(`Cannot parse ${dir}/${file}: ${e.message}`);
      }
      specs.push({ dir, file, text, json });
    }
  }
  return specs;
}

// ---------------------------------------------------------------------------------------------------------------------
// Schema model

function convertFields(fields, spec, common, where) {
  return (fields || []).map((f) => convertField(f, spec, common, `${where}.${f.name}`));
}

function convertField(f, spec, common, where) {
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  const out = { name: lowerCamel(f.name), specName: f.name };
  let structFields;
  if (isArray) {
    out.type = 'array';
    if (PRIMITIVES.has(base)) {
      out.elem = base;
    } else {
      out.elem = 'struct';
      out.struct = base;
    }
  } else if (PRIMITIVES.has(base)) {
    out.type = base;
  } else {
    out.type = 'struct';
    out.struct = base;
  }
  if (out.struct) {
    if (f.fields) structFields = f.fields;
    else if (common.has(out.struct)) structFields = common.get(out.struct).fields;
    else throw new Error(`Unknown struct ${out.struct} at ${where}`);
  }
  // A few tagged fields omit "versions": they exist exactly in their tagged versions.
  out.versions = parseRange(f.versions !== undefined ? f.versions : f.taggedVersions, where);
  const nullable = parseRange(f.nullableVersions, where);
  if (nullable) out.nullable = nullable;
  if (f.tag !== undefined) {
    out.tag = f.tag;
    out.taggedVersions = parseRange(f.taggedVersions, where);
  }
  const def = normalizeDefault(out.type === 'array' ? 'array' : out.type, f.default, where);
  if (def !== undefined) out.default = def;
  if (f.flexibleVersions !== undefined && parseRange(f.flexibleVersions, where) === null) out.flexible = false;
  if (structFields) out.fields = convertFields(structFields, spec, common, where);
  return out;
}

function toSchema(spec) {
  const j = spec.json;
  const common = new Map((j.commonStructs || []).map((c) => [c.name, c]));
  const kind = j.type;
  const schema = {
    name: j.name,
    kind,
    source: spec.dir,
  };
  if (j.apiKey !== undefined) schema.apiKey = j.apiKey;
  schema.validVersions = parseRange(j.validVersions, j.name);
  schema.flexibleVersions = parseRange(j.flexibleVersions, j.name);
  if (j.deprecatedVersions) schema.deprecatedVersions = parseRange(j.deprecatedVersions, j.name);
  if (j.latestVersionUnstable) schema.latestVersionUnstable = true;
  schema.fields = convertFields(j.fields, spec, common, j.name);
  return { schema, json: j };
}

// ---------------------------------------------------------------------------------------------------------------------
// Emitters

function header(specHash, what) {
  return [
    '// DO NOT EDIT. Generated by tools/codegen/generate.js from the Kafka JSON message specs',
    `// (spec set sha256 ${specHash}). ${what}`,
    '// Regenerate with `npm run codegen`.',
    '/* eslint-disable */',
    '',
  ].join('\n');
}

/** Compact but readable literal: one field per line. */
function emitFields(fields, indent) {
  const pad = ' '.repeat(indent);
  const lines = ['['];
  for (const f of fields) {
    const parts = [`name: ${JSON.stringify(f.name)}`, `specName: ${JSON.stringify(f.specName)}`, `type: ${JSON.stringify(f.type)}`];
    if (f.elem) parts.push(`elem: ${JSON.stringify(f.elem)}`);
    if (f.struct) parts.push(`struct: ${JSON.stringify(f.struct)}`);
    parts.push(`versions: ${JSON.stringify(f.versions)}`);
    if (f.nullable) parts.push(`nullable: ${JSON.stringify(f.nullable)}`);
    if (f.tag !== undefined) parts.push(`tag: ${f.tag}`, `taggedVersions: ${JSON.stringify(f.taggedVersions)}`);
    if (f.default !== undefined) parts.push(`default: ${JSON.stringify(f.default)}`);
    if (f.flexible === false) parts.push('flexible: false');
    if (f.fields) parts.push(`fields: ${emitFields(f.fields, indent + 2)}`);
    lines.push(`${pad}  { ${parts.join(', ')} },`);
  }
  lines.push(`${pad}]`);
  return lines.join('\n');
}

function emitSchemaFile(schemas, constName, specHash, what) {
  const out = [header(specHash, what), "import type { MessageSchema } from '../codec/schema';", ''];
  out.push(`export const ${constName}: Readonly<Record<string, MessageSchema>> = {`);
  for (const s of schemas) {
    const parts = [`name: ${JSON.stringify(s.name)}`, `kind: ${JSON.stringify(s.kind)}`, `source: ${JSON.stringify(s.source)}`];
    if (s.apiKey !== undefined) parts.push(`apiKey: ${s.apiKey}`);
    parts.push(`validVersions: ${JSON.stringify(s.validVersions)}`, `flexibleVersions: ${JSON.stringify(s.flexibleVersions)}`);
    if (s.deprecatedVersions) parts.push(`deprecatedVersions: ${JSON.stringify(s.deprecatedVersions)}`);
    if (s.latestVersionUnstable) parts.push('latestVersionUnstable: true');
    out.push(`  ${s.name}: {`);
    out.push(`    ${parts.join(', ')},`);
    out.push(`    fields: ${emitFields(s.fields, 4)},`);
    out.push('  },');
  }
  out.push('};', '');
  return out.join('\n');
}

function rangeText(r) {
  if (!r) return 'none';
  if (r[1] === OPEN_MAX) return `${r[0]}+`;
  return r[0] === r[1] ? `${r[0]}` : `${r[0]}-${r[1]}`;
}

const TS_PRIMITIVE = {
  bool: 'boolean',
  int8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  float64: 'number',
  uuid: 'string',
  string: 'string',
  bytes: 'Buffer',
  records: 'Buffer',
};

function docComment(text, indent) {
  const clean = String(text).replace(/\*\//g, '* /').replace(/\s+/g, ' ').trim();
  return `${' '.repeat(indent)}/** ${clean} */`;
}

/** Interface name for a spec; header specs get a "Data" suffix so the codec's own RequestHeader type stays free. */
function typeName(schema) {
  return schema.kind === 'header' ? `${schema.name}Data` : schema.name;
}

function emitInterfaces(schema, json) {
  const tname = typeName(schema);
  const lines = [];
  const nested = [];
  const seen = new Set();
  // "about" texts keyed by "<struct>.<Field>" (top level: ".<Field>"); struct names are unique within a spec.
  const aboutByPath = new Map();
  (function collect(fields, struct) {
    for (const f of fields || []) {
      aboutByPath.set(`${struct}.${f.name}`, f.about);
      if (f.fields) collect(f.fields, f.type.replace(/^\[\]/, ''));
    }
  })(json.fields, '');
  for (const c of json.commonStructs || []) {
    for (const f of c.fields || []) aboutByPath.set(`${c.name}.${f.name}`, f.about);
  }

  function typeOf(f) {
    let t;
    if (f.type === 'array') t = `${f.elem === 'struct' ? `${tname}.${f.struct}` : TS_PRIMITIVE[f.elem]}[]`;
    else if (f.type === 'struct') t = `${tname}.${f.struct}`;
    else t = TS_PRIMITIVE[f.type];
    if (f.type === 'records') t = 'Buffer';
    if (f.nullable || (f.type === 'records')) t += ' | null';
    return t;
  }

  function body(fields, indent, aboutPrefix) {
    const pad = ' '.repeat(indent);
    const out = [];
    for (const f of fields) {
      const about = aboutByPath.get(`${aboutPrefix}.${f.specName}`);
      const notes = [`versions ${rangeText(f.versions)}`];
      if (f.nullable) notes.push(`nullable ${rangeText(f.nullable)}`);
      if (f.tag !== undefined) notes.push(`tag ${f.tag} in ${rangeText(f.taggedVersions)}`);
      if (f.default !== undefined) notes.push(`default ${JSON.stringify(f.default)}`);
      out.push(docComment(`${about ? about + ' ' : ''}(${notes.join('; ')})`, indent));
      out.push(`${pad}${f.name}${f.tag !== undefined ? '?' : ''}: ${typeOf(f)};`);
      if (f.fields && !seen.has(f.struct)) {
        seen.add(f.struct);
        nested.push({ f, aboutPrefix: f.struct });
      }
    }
    return out;
  }

  lines.push(`export interface ${tname} {`);
  lines.push(...body(schema.fields, 2, ''));
  lines.push('}');
  if (nested.length) {
    const nsLines = [];
    for (let i = 0; i < nested.length; i++) {
      const { f, aboutPrefix } = nested[i];
      nsLines.push(`  export interface ${f.struct} {`);
      nsLines.push(...body(f.fields, 4, aboutPrefix));
      nsLines.push('  }');
    }
    lines.push(`export namespace ${tname} {`);
    lines.push(...nsLines);
    lines.push('}');
  }
  return lines.join('\n');
}

function emitTypesFile(entries, specHash, what) {
  const out = [header(specHash, what)];
  for (const { schema, json } of entries) {
    out.push(docComment(`${json.name} (${json.type}${json.apiKey !== undefined ? `, apiKey ${json.apiKey}` : ''}; valid versions ${rangeText(schema.validVersions)}, flexible ${rangeText(schema.flexibleVersions)})`, 0));
    out.push(emitInterfaces(schema, json), '');
  }
  return out.join('\n');
}

function emitApiKeys(entries, specHash) {
  const requests = entries.filter((e) => e.schema.kind === 'request').sort((a, b) => a.schema.apiKey - b.schema.apiKey);
  const responses = new Map(entries.filter((e) => e.schema.kind === 'response').map((e) => [e.schema.apiKey, e]));
  const out = [header(specHash, 'API keys and version ranges.')];
  out.push('/** API keys by name (the spec name without "Request"). */');
  out.push('export const ApiKey = {');
  for (const { schema } of requests) out.push(`  ${schema.name.replace(/Request$/, '')}: ${schema.apiKey},`);
  out.push('} as const;', '');
  out.push('export type ApiKey = (typeof ApiKey)[keyof typeof ApiKey];', '');
  out.push('export interface ApiSpec {');
  out.push('  readonly apiKey: number;');
  out.push('  readonly name: string;');
  out.push('  readonly requestName: string;');
  out.push('  readonly responseName: string;');
  out.push('  readonly validVersions: readonly [number, number];');
  out.push('  /** Versions using compact encodings and tagged fields, clamped to validVersions; null if none. */');
  out.push('  readonly flexibleVersions: readonly [number, number] | null;');
  out.push('  readonly deprecatedVersions: readonly [number, number] | null;');
  out.push('  readonly latestVersionUnstable: boolean;');
  out.push('  readonly listeners: readonly string[];');
  out.push('}', '');
  out.push('export const API_SPECS: Readonly<Record<number, ApiSpec>> = {');
  for (const { schema, json } of requests) {
    const resp = responses.get(schema.apiKey);
    if (!resp) throw new Error(`No response spec for ${schema.name}`);
    const valid = schema.validVersions;
    const clamp = (r) => (r ? [r[0], Math.min(r[1], valid[1])] : null);
    const flex = schema.flexibleVersions && schema.flexibleVersions[0] <= valid[1] ? clamp(schema.flexibleVersions) : null;
    const dep = schema.deprecatedVersions ? clamp(schema.deprecatedVersions) : null;
    out.push(
      `  ${schema.apiKey}: { apiKey: ${schema.apiKey}, name: ${JSON.stringify(schema.name.replace(/Request$/, ''))}, requestName: ${JSON.stringify(schema.name)}, responseName: ${JSON.stringify(resp.schema.name)}, validVersions: ${JSON.stringify(valid)}, flexibleVersions: ${JSON.stringify(flex)}, deprecatedVersions: ${JSON.stringify(dep)}, latestVersionUnstable: ${!!json.latestVersionUnstable}, listeners: ${JSON.stringify(json.listeners || [])} },`,
    );
  }
  out.push('};', '');
  return out.join('\n');
}

function emitTypeMaps(entries, specHash) {
  const out = [header(specHash, 'Maps from API key / spec name to the generated interfaces.')];
  const bySource = { 'kafka-messages': './types-messages', 'kafka-metadata-records': './types-metadata-records', 'kafka-internal-records': './types-internal-records' };
  for (const [src, mod] of Object.entries(bySource)) {
    const names = entries.filter((e) => e.schema.source === src).map((e) => typeName(e.schema));
    out.push(`import type { ${names.join(', ')} } from '${mod}';`);
  }
  out.push('');
  const req = entries.filter((e) => e.schema.kind === 'request').sort((a, b) => a.schema.apiKey - b.schema.apiKey);
  const resp = entries.filter((e) => e.schema.kind === 'response').sort((a, b) => a.schema.apiKey - b.schema.apiKey);
  out.push('/** Request body type by API key. */');
  out.push('export interface RequestTypes {');
  for (const e of req) out.push(`  ${e.schema.apiKey}: ${typeName(e.schema)};`);
  out.push('}', '');
  out.push('/** Response body type by API key. */');
  out.push('export interface ResponseTypes {');
  for (const e of resp) out.push(`  ${e.schema.apiKey}: ${typeName(e.schema)};`);
  out.push('}', '');
  out.push('/** Every spec by name. */');
  out.push('export interface MessageTypes {');
  for (const e of entries) out.push(`  ${e.schema.name}: ${typeName(e.schema)};`);
  out.push('}', '');
  const meta = entries.filter((e) => e.schema.kind === 'metadata').sort((a, b) => a.schema.apiKey - b.schema.apiKey);
  out.push('/** KRaft metadata record type by record type id (the spec apiKey). */');
  out.push('export const METADATA_RECORD_TYPES: Readonly<Record<number, keyof MessageTypes>> = {');
  for (const e of meta) out.push(`  ${e.schema.apiKey}: ${JSON.stringify(e.schema.name)},`);
  out.push('};', '');
  return out.join('\n');
}

// ---- error codes ----------------------------------------------------------------------------------------------------

/** Reads the error table from protocol.html if it is rendered there (code, name, retriable, description). */
function errorsFromHtml(html) {
  const start = html.indexOf('protocol_error_codes');
  if (start < 0) return null;
  const section = html.slice(start, html.indexOf('protocol_api_keys', start + 1) > 0 ? html.indexOf('protocol_api_keys', start + 1) : undefined);
  const rows = [...section.matchAll(/<tr>([\s\S]*?)<\/tr>/g)];
  const out = [];
  for (const r of rows) {
    const cells = [...r[1].matchAll(/<td>([\s\S]*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, '').trim());
    if (cells.length >= 3 && /^-?\d+$/.test(cells[1])) {
      out.push({ name: cells[0], code: Number(cells[1]), retriable: /true/i.test(cells[2]), message: cells[3] || '' });
    }
  }
  return out.length ? out : null;
}

function errorsFromTsv(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [code, name, retriable, message = ''] = line.split('\t');
    out.push({ code: Number(code), name, retriable: retriable === 'true', message });
  }
  return out;
}

function sentence(name) {
  const s = name.toLowerCase().replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1) + '.';
}

function emitErrors(errors, specHash, sourceNote) {
  errors = [...errors].sort((a, b) => a.code - b.code);
  const out = [header(specHash, `Kafka error codes (${sourceNote}).`)];
  out.push('/** Kafka error codes by name. */');
  out.push('export const ErrorCode = {');
  for (const e of errors) out.push(`  ${e.name}: ${e.code},`);
  out.push('} as const;', '');
  out.push('export type ErrorName = keyof typeof ErrorCode;', '');
  out.push('export interface ErrorInfo {');
  out.push('  readonly code: number;');
  out.push('  readonly name: string;');
  out.push('  readonly retriable: boolean;');
  out.push('  readonly message: string;');
  out.push('}', '');
  out.push('export const ERROR_TABLE: readonly ErrorInfo[] = [');
  for (const e of errors) {
    const msg = e.message || (e.code === 0 ? '' : sentence(e.name));
    out.push(`  { code: ${e.code}, name: ${JSON.stringify(e.name)}, retriable: ${e.retriable}, message: ${JSON.stringify(msg)} },`);
  }
  out.push('];', '');
  out.push('const BY_CODE = new Map<number, ErrorInfo>(ERROR_TABLE.map((e) => [e.code, e]));', '');
  out.push('/** Code, name, retriable flag and default message; unknown codes get a synthetic non-retriable entry. */');
  out.push('export function errorInfo(code: number): ErrorInfo {');
  out.push("  return BY_CODE.get(code) ?? { code, name: `UNKNOWN_ERROR_${code}`, retriable: false, message: `Unknown error code ${code}.` };");
  out.push('}', '');
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------------------

function generate(root, outDir) {
  const specs = loadSpecs(root);
  const hash = crypto.createHash('sha256');
  for (const s of specs) hash.update(`${s.dir}/${s.file}\0${s.text}\0`);
  const specHash = hash.digest('hex').slice(0, 16);

  const entries = specs.map(toSchema);
  const names = new Set();
  for (const e of entries) {
    if (names.has(e.schema.name)) throw new Error(`Duplicate spec name ${e.schema.name}`);
    names.add(e.schema.name);
  }
  // metadata records live in kafka-metadata-records with type "metadata"; a few KRaft control records ("data") sit in
  // kafka-messages, which is fine: they are addressed by name.
  const files = {};
  const groups = [
    ['kafka-messages', 'messages', 'MESSAGE_SCHEMAS', 'Kafka API requests, responses, headers and data records'],
    ['kafka-metadata-records', 'metadata-records', 'METADATA_RECORD_SCHEMAS', 'KRaft metadata log records'],
    ['kafka-internal-records', 'internal-records', 'INTERNAL_RECORD_SCHEMAS', 'internal topic records (__consumer_offsets, __transaction_state, quorum state)'],
  ];
  for (const [src, base, constName, what] of groups) {
    const group = entries.filter((e) => e.schema.source === src);
    files[`schemas-${base}.ts`] = emitSchemaFile(group.map((e) => e.schema), constName, specHash, `Schema tables: ${what}.`);
    files[`types-${base}.ts`] = emitTypesFile(group, specHash, `Interfaces: ${what}.`);
  }
  files['api-keys.ts'] = emitApiKeys(entries, specHash);
  files['type-maps.ts'] = emitTypeMaps(entries, specHash);

  const htmlPath = path.join(root, 'kafka-docs', 'protocol.html');
  let errors = fs.existsSync(htmlPath) ? errorsFromHtml(fs.readFileSync(htmlPath, 'utf8')) : null;
  let errorSource = 'from kafka-docs/protocol.html';
  if (!errors) {
    // protocol.html pulls the table in with a server-side include that is not in the reference copy.
    errors = errorsFromTsv(fs.readFileSync(path.join(__dirname, 'error-codes.tsv'), 'utf8'));
    errorSource = 'from tools/codegen/error-codes.tsv; protocol.html has no rendered table';
  }
  files['error-codes.ts'] = emitErrors(errors, specHash, errorSource);

  files['index.ts'] = [
    header(specHash, 'Barrel for the generated tables and types.'),
    "export * from './api-keys';",
    "export * from './error-codes';",
    "export * from './schemas-messages';",
    "export * from './schemas-metadata-records';",
    "export * from './schemas-internal-records';",
    "export type * from './types-messages';",
    "export type * from './types-metadata-records';",
    "export type * from './types-internal-records';",
    "export * from './type-maps';",
    '',
  ].join('\n');

  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(outDir, name), text);
  return { specs: specs.length, files: Object.keys(files).sort(), specHash };
}

module.exports = { generate, stripComments, parseRange };

if (require.main === module) {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: node tools/codegen/generate.js <spec-root> [out-dir]');
    process.exit(2);
  }
  const outDir = process.argv[3] || path.join(__dirname, '..', '..', 'libs', 'protocol', 'src', 'generated');
  const res = generate(path.resolve(root), path.resolve(outDir));
  console.log(`generated ${res.files.length} files from ${res.specs} specs (spec set ${res.specHash}) into ${outDir}`);
}
