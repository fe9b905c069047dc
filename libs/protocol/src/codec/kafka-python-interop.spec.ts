import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { API_SPECS } from '../generated/api-keys';
import { Reader } from '../primitives/reader';
import { inRange } from './schema';
import { decodeMessage, encodeMessage } from './messages';

/*
 * Interop with kafka-python 2.0.2 (Debian python3-kafka): testing/kafka_python_corpus.py fills every Request class
 * kafka-python defines, and its response type, with deterministic values and encodes them with kafka-python's own
 * Struct encoders. Each body must decode with our codec, consume every byte, re-encode to the same bytes, and contain
 * every value kafka-python put in.
 */

const PYTHON = '/usr/bin/python3';

/**
 * kafka-python 2.0.2 structs that disagree with Kafka's own schema (checked against the JSON specs). None of them is a
 * version kafka-python actually sends or reads in practice (its producer/consumer use fixed older versions), except
 * DescribeGroups v3 in KafkaAdminClient, which reads v3 responses with the v2 struct (it drops the per-group
 * authorized_operations, and misreads responses that describe more than one group).
 */
const KAFKA_PYTHON_SCHEMA_BUGS: Record<string, string> = {
  '0/8/response': 'ProduceResponse_v8 lacks record_errors and error_message',
  '2/4/request': 'OffsetRequest_v4 encodes current_leader_epoch as int64 (Kafka: int32)',
  '2/5/request': 'OffsetRequest_v5 encodes current_leader_epoch as int64 (Kafka: int32)',
  '10/1/response': 'GroupCoordinatorResponse_v1 lacks throttle_time_ms',
  '15/3/response': 'DescribeGroupsRequest_v3.RESPONSE_TYPE is DescribeGroupsResponse_v2',
};
const SCRIPT = path.join(__dirname, '../testing/kafka_python_corpus.py');

interface Entry {
  kind: 'request' | 'response';
  name: string;
  apiKey: number;
  version: number;
  hex: string;
  leaves: string[];
}

function loadCorpus(): { entries: Entry[]; skipped: unknown[] } | string {
  if (!fs.existsSync(PYTHON)) return `${PYTHON} is absent`;
  try {
    const out = execFileSync(PYTHON, [SCRIPT], { timeout: 30000, maxBuffer: 64 * 1024 * 1024 }).toString();
    return JSON.parse(out);
  } catch (e) {
    return `kafka-python is not usable: ${(e as Error).message.split('\n')[0]}`;
  }
}

const corpus = loadCorpus();

function leaves(v: unknown, out: Set<string>): Set<string> {
  if (v === null || v === undefined) return out;
  if (Buffer.isBuffer(v)) out.add(`b:${v.toString('hex')}`);
  else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (typeof v === 'object') Object.values(v).forEach((x) => leaves(x, out));
  else if (typeof v === 'string') out.add(`s:${v}`);
  else if (typeof v === 'boolean') out.add(`n:${v ? 1 : 0}`);
  else out.add(`n:${String(v)}`);
  return out;
}

if (typeof corpus === 'string') {
  test.skip(`kafka-python interop skipped: ${corpus}`, () => undefined);
} else {
  const usable: Entry[] = [];
  const notInSpecs: string[] = [];
  const flexible: string[] = [];
  for (const e of corpus.entries) {
    const spec = API_SPECS[e.apiKey];
    if (!spec || !inRange(spec.validVersions, e.version)) notInSpecs.push(`${e.name}`);
    else if (inRange(spec.flexibleVersions, e.version)) flexible.push(`${e.name}`);
    else usable.push(e);
  }
  const known = usable.filter((e) => KAFKA_PYTHON_SCHEMA_BUGS[`${e.apiKey}/${e.version}/${e.kind}`]);
  const good = usable.filter((e) => !KAFKA_PYTHON_SCHEMA_BUGS[`${e.apiKey}/${e.version}/${e.kind}`]);

  test('corpus covers the versions kafka-python sends', () => {
    const have = new Set(usable.map((e) => `${e.apiKey}/${e.version}`));
    // conn.py probe, producer, consumer and coordinator versions (research/clients.md §5.3)
    for (const kv of ['18/0', '3/0', '3/1', '3/5', '0/7', '1/4', '2/1', '10/0', '11/2', '12/1', '13/1', '14/1', '8/2', '9/1', '9/3', '19/3', '20/3', '32/2', '33/1', '37/1', '42/1', '15/3', '16/1']) {
      expect(have).toContain(kv);
    }
    // kafka-python's DescribeAcls v2 probe struct reuses the v1 (non-flexible) schema, which v2 is not
    expect(flexible).toEqual(['DescribeAclsRequest_v2', 'DescribeAclsResponse_v2']);
    expect(notInSpecs).toEqual([]);
  });

  test.each(known.map((e) => [`${e.name} (${e.kind} of v${e.version})`, e] as const))(
    '%s: known kafka-python schema bug, does not match Kafka',
    (_name, e) => {
      const spec = API_SPECS[e.apiKey];
      const specName = e.kind === 'request' ? spec.requestName : spec.responseName;
      const bytes = Buffer.from(e.hex, 'hex');
      let matches = false;
      try {
        const r = new Reader(bytes);
        decodeMessage(specName, e.version, r);
        matches = r.remaining === 0;
      } catch {
        matches = false;
      }
      expect(matches).toBe(false);
    },
  );

  test.each(good.map((e) => [`${e.name} (${e.kind} of v${e.version})`, e] as const))('%s decodes with our codec', (_name, e) => {
    const spec = API_SPECS[e.apiKey];
    const specName = e.kind === 'request' ? spec.requestName : spec.responseName;
    const bytes = Buffer.from(e.hex, 'hex');
    const r = new Reader(bytes);
    const decoded = decodeMessage(specName, e.version, r);
    expect(r.remaining).toBe(0);
    expect(encodeMessage(specName, e.version, decoded).equals(bytes)).toBe(true);
    const ours = leaves(decoded, new Set());
    expect(e.leaves.filter((l) => !ours.has(l))).toEqual([]);
  });
}
