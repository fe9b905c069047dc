import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecordBatch } from '../records';
import { Reader } from '../primitives/reader';
import { arbitraryMessage, Rng } from '../testing/arbitrary';
import { decodeRequestHeader, decodeRequest, encodeRequest, encodeResponse, SCHEMAS } from './messages';
import { API_SPECS } from '../generated/api-keys';

/*
 * Interop with kafkajs 2.2.4 using its own protocol modules (node_modules/kafkajs/src/protocol/requests/<api>/v<N>):
 *  - requests built by kafkajs's request encoders (framed by its request.js) decode with our codec to the values we
 *    passed in, consume the whole frame, and re-encode to the same bytes;
 *  - responses we encode (random values from the schema) decode with kafkajs's response decoders, and every value
 *    kafkajs reports is one we put in.
 * Every API and version kafkajs ships is covered (the directory listing drives the test).
 */

const KJS = path.dirname(require.resolve('kafkajs/package.json'));
const REQ_DIR = path.join(KJS, 'src/protocol/requests');
const createRequest = require(path.join(KJS, 'src/protocol/request.js'));
const kjsApiKeys: Record<string, number> = require(path.join(REQ_DIR, 'apiKeys.js'));

const T = 'topic-1';
const BUF = Buffer.from('0001020304', 'hex');
const acl = { resourceType: 2, resourceName: T, resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 2, permissionType: 3 };

/** kafkajs request arguments per API directory, and the values our decoder must produce (our field names). */
const REQUESTS: Record<string, { args: any; expect: (v: number) => any }> = {
  produce: {
    args: { acks: -1, timeout: 30000, compression: 0, topicData: [{ topic: T, partitions: [{ partition: 2, messages: [{ key: 'k', value: 'v', headers: { h: '1' } }] }] }] },
    expect: (v) => ({ acks: -1, timeoutMs: 30000, ...(v >= 3 ? { transactionalId: null } : {}), topicData: [{ name: T, partitionData: [{ index: 2, records: expect.any(Buffer) }] }] }),
  },
  fetch: {
    args: { replicaId: -1, maxWaitTime: 5000, minBytes: 1, maxBytes: 10485760, isolationLevel: 1, sessionId: 0, sessionEpoch: -1, rackId: 'rack-a', topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: '42', maxBytes: 1048576 }] }] },
    expect: (v) => ({
      replicaId: -1,
      maxWaitMs: 5000,
      minBytes: 1,
      ...(v >= 3 ? { maxBytes: 10485760 } : {}),
      ...(v >= 4 ? { isolationLevel: 1 } : {}),
      ...(v >= 7 ? { sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [] } : {}),
      ...(v >= 11 ? { rackId: 'rack-a' } : {}),
      topics: [{ topic: T, partitions: [{ partition: 0, fetchOffset: 42n, partitionMaxBytes: 1048576, ...(v >= 9 ? { currentLeaderEpoch: -1 } : {}), ...(v >= 5 ? { logStartOffset: -1n } : {}) }] }],
    }),
  },
  listOffsets: {
    args: { replicaId: -1, isolationLevel: 1, topics: [{ topic: T, partitions: [{ partition: 1, timestamp: -2 }] }] },
    expect: (v) => ({ replicaId: -1, ...(v >= 2 ? { isolationLevel: 1 } : {}), topics: [{ name: T, partitions: [{ partitionIndex: 1, timestamp: -2n, ...(v === 0 ? { maxNumOffsets: 1 } : {}) }] }] }),
  },
  metadata: {
    args: { topics: [T, 'topic-2'], allowAutoTopicCreation: false },
    expect: (v) => ({ topics: [{ name: T }, { name: 'topic-2' }], ...(v >= 4 ? { allowAutoTopicCreation: false } : {}) }),
  },
  offsetCommit: {
    args: { groupId: 'g', groupGenerationId: 3, memberId: 'm-1', retentionTime: -1, topics: [{ topic: T, partitions: [{ partition: 0, offset: '10', metadata: 'md', timestamp: 1700000000000 }] }] },
    expect: (v) => ({
      groupId: 'g',
      ...(v >= 1 ? { generationIdOrMemberEpoch: 3, memberId: 'm-1' } : {}),
      ...(v >= 2 && v <= 4 ? { retentionTimeMs: -1n } : {}),
      topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 10n, committedMetadata: 'md', ...(v === 1 ? { commitTimestamp: 1700000000000n } : {}) }] }],
    }),
  },
  offsetFetch: {
    args: { groupId: 'g', topics: [{ topic: T, partitions: [{ partition: 0 }, { partition: 1 }] }] },
    expect: () => ({ groupId: 'g', topics: [{ name: T, partitionIndexes: [0, 1] }] }),
  },
  findCoordinator: {
    args: { groupId: 'g', coordinatorKey: 'g', coordinatorType: 1 },
    expect: (v) => ({ key: 'g', ...(v >= 1 ? { keyType: 1 } : {}) }),
  },
  joinGroup: {
    args: { groupId: 'g', sessionTimeout: 30000, rebalanceTimeout: 60000, memberId: '', groupInstanceId: null, protocolType: 'consumer', groupProtocols: [{ name: 'RoundRobinAssigner', metadata: BUF }] },
    expect: (v) => ({
      groupId: 'g',
      sessionTimeoutMs: 30000,
      ...(v >= 1 ? { rebalanceTimeoutMs: 60000 } : {}),
      memberId: '',
      ...(v >= 5 ? { groupInstanceId: null } : {}),
      protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: BUF }],
    }),
  },
  heartbeat: {
    args: { groupId: 'g', groupGenerationId: 4, memberId: 'm-1', groupInstanceId: null },
    expect: (v) => ({ groupId: 'g', generationId: 4, memberId: 'm-1', ...(v >= 3 ? { groupInstanceId: null } : {}) }),
  },
  leaveGroup: {
    args: { groupId: 'g', memberId: 'm-1', members: [{ memberId: 'm-1', groupInstanceId: null }] },
    expect: (v) => (v >= 3 ? { groupId: 'g', members: [{ memberId: 'm-1', groupInstanceId: null }] } : { groupId: 'g', memberId: 'm-1' }),
  },
  syncGroup: {
    args: { groupId: 'g', generationId: 4, memberId: 'm-1', groupInstanceId: null, groupAssignment: [{ memberId: 'm-1', memberAssignment: BUF }] },
    expect: (v) => ({ groupId: 'g', generationId: 4, memberId: 'm-1', ...(v >= 3 ? { groupInstanceId: null } : {}), assignments: [{ memberId: 'm-1', assignment: BUF }] }),
  },
  describeGroups: { args: { groupIds: ['g1', 'g2'] }, expect: () => ({ groups: ['g1', 'g2'] }) },
  listGroups: { args: {}, expect: () => ({ statesFilter: [] }) },
  saslHandshake: { args: { mechanism: 'PLAIN' }, expect: () => ({ mechanism: 'PLAIN' }) },
  // kafkajs's SASL mechanisms hand over bytes that already carry their int32 length prefix
  saslAuthenticate: { args: { authBytes: Buffer.concat([Buffer.from('00000005', 'hex'), BUF]) }, expect: () => ({ authBytes: BUF }) },
  apiVersions: { args: {}, expect: () => ({ clientSoftwareName: '', clientSoftwareVersion: '' }) },
  createTopics: {
    args: { topics: [{ topic: T, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }], validateOnly: true, timeout: 5000 },
    expect: (v) => ({ topics: [{ name: T, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 5000, ...(v >= 1 ? { validateOnly: true } : {}) }),
  },
  deleteTopics: { args: { topics: [T], timeout: 5000 }, expect: () => ({ topicNames: [T], timeoutMs: 5000 }) },
  deleteRecords: {
    args: { topics: [{ topic: T, partitions: [{ partition: 0, offset: '5' }] }], timeout: 5000 },
    expect: () => ({ topics: [{ name: T, partitions: [{ partitionIndex: 0, offset: 5n }] }], timeoutMs: 5000 }),
  },
  initProducerId: {
    args: { transactionalId: 'tx', transactionTimeout: 60000 },
    expect: () => ({ transactionalId: 'tx', transactionTimeoutMs: 60000 }),
  },
  addPartitionsToTxn: {
    args: { transactionalId: 'tx', producerId: '1000', producerEpoch: 1, topics: [{ topic: T, partitions: [0, 1] }] },
    expect: () => ({ v3AndBelowTransactionalId: 'tx', v3AndBelowProducerId: 1000n, v3AndBelowProducerEpoch: 1, v3AndBelowTopics: [{ name: T, partitions: [0, 1] }] }),
  },
  addOffsetsToTxn: {
    args: { transactionalId: 'tx', producerId: '1000', producerEpoch: 1, groupId: 'g' },
    expect: () => ({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 1, groupId: 'g' }),
  },
  endTxn: {
    args: { transactionalId: 'tx', producerId: '1000', producerEpoch: 1, transactionResult: true },
    expect: () => ({ transactionalId: 'tx', producerId: 1000n, producerEpoch: 1, committed: true }),
  },
  txnOffsetCommit: {
    args: { transactionalId: 'tx', groupId: 'g', producerId: '1000', producerEpoch: 1, topics: [{ topic: T, partitions: [{ partition: 0, offset: '7', metadata: null }] }] },
    expect: () => ({ transactionalId: 'tx', groupId: 'g', producerId: 1000n, producerEpoch: 1, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 7n, committedMetadata: null }] }] }),
  },
  describeAcls: {
    args: acl,
    expect: (v) => ({ resourceTypeFilter: 2, resourceNameFilter: T, ...(v >= 1 ? { patternTypeFilter: 3 } : {}), principalFilter: 'User:alice', hostFilter: '*', operation: 2, permissionType: 3 }),
  },
  createAcls: {
    args: { creations: [acl] },
    expect: (v) => ({ creations: [{ resourceType: 2, resourceName: T, ...(v >= 1 ? { resourcePatternType: 3 } : {}), principal: 'User:alice', host: '*', operation: 2, permissionType: 3 }] }),
  },
  deleteAcls: {
    args: { filters: [acl] },
    expect: (v) => ({ filters: [{ resourceTypeFilter: 2, resourceNameFilter: T, ...(v >= 1 ? { patternTypeFilter: 3 } : {}), principalFilter: 'User:alice', hostFilter: '*', operation: 2, permissionType: 3 }] }),
  },
  describeConfigs: {
    args: { resources: [{ type: 2, name: T, configNames: ['retention.ms'] }], includeSynonyms: true },
    expect: (v) => ({ resources: [{ resourceType: 2, resourceName: T, configurationKeys: ['retention.ms'] }], ...(v >= 1 ? { includeSynonyms: true } : {}) }),
  },
  alterConfigs: {
    args: { resources: [{ type: 2, name: T, configEntries: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true },
    expect: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: true }),
  },
  createPartitions: {
    args: { topicPartitions: [{ topic: T, count: 5, assignments: [[1, 2], [2, 3]] }], validateOnly: false, timeout: 5000 },
    expect: () => ({ topics: [{ name: T, count: 5, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [2, 3] }] }], timeoutMs: 5000, validateOnly: false }),
  },
  deleteGroups: { args: ['g1', 'g2'], expect: () => ({ groupsNames: ['g1', 'g2'] }) },
  alterPartitionReassignments: {
    args: { topics: [{ topic: T, partitionAssignment: [{ partition: 0, replicas: [1, 2] }] }], timeout: 5000 },
    expect: () => ({ timeoutMs: 5000, topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: [1, 2] }] }] }),
  },
  listPartitionReassignments: {
    args: { topics: [{ topic: T, partitions: [0, 3] }], timeout: 5000 },
    expect: () => ({ timeoutMs: 5000, topics: [{ name: T, partitionIndexes: [0, 3] }] }),
  },
};

/** Our API key for a kafkajs request directory. */
function apiKeyOf(dir: string): number {
  const name = dir.charAt(0).toUpperCase() + dir.slice(1);
  const key = name === 'FindCoordinator' ? kjsApiKeys.GroupCoordinator : kjsApiKeys[name];
  if (key === undefined) throw new Error(`no api key for ${dir}`);
  return key;
}

const dirs = fs
  .readdirSync(REQ_DIR)
  .filter((d) => fs.statSync(path.join(REQ_DIR, d)).isDirectory())
  .sort();
const cases: [string, number][] = [];
for (const d of dirs) {
  for (const v of fs.readdirSync(path.join(REQ_DIR, d)).filter((x) => /^v\d+$/.test(x))) cases.push([d, Number(v.slice(1))]);
}
cases.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));

test('every kafkajs API directory has request arguments here', () => {
  expect(dirs.filter((d) => !REQUESTS[d])).toEqual([]);
  expect(cases.length).toBeGreaterThan(90);
});

describe('kafkajs requests decode with our codec', () => {
  test.each(cases)('%s v%d', async (dir, version) => {
    const spec = REQUESTS[dir];
    const build = require(path.join(REQ_DIR, dir, `v${version}`, 'request.js'));
    const request = build(spec.args);
    const encoder = await createRequest({ correlationId: 77, clientId: 'kafkajs-interop', request });
    const frame: Buffer = encoder.buffer;
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);

    const r = new Reader(frame, 4);
    const header = decodeRequestHeader(r);
    expect(header).toEqual({ apiKey: apiKeyOf(dir), apiVersion: version, correlationId: 77, clientId: 'kafkajs-interop' });
    const body = decodeRequest(header.apiKey, version, r);
    expect(r.remaining).toBe(0);
    expect(body).toMatchObject(spec.expect(version));

    // our encoder produces the very same bytes from the decoded values
    expect(Buffer.concat(encodeRequest(header, body)).equals(frame)).toBe(true);
  });
});

// ---- responses ----------------------------------------------------------------------------------------------------

/** Leaf values normalised to strings (what kafkajs reports: int64 as string, buffers as-is). */
function leaves(v: unknown, out: Set<string>): Set<string> {
  if (v === null || v === undefined) return out;
  if (Buffer.isBuffer(v)) out.add(`b:${v.toString('hex')}`);
  else if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (typeof v === 'object') {
    const anyV = v as any;
    if (typeof anyV.toString === 'function' && anyV.constructor?.name === 'Long') out.add(`n:${anyV.toString()}`);
    else Object.values(v).forEach((x) => leaves(x, out));
  } else if (typeof v === 'string') out.add(`s:${v}`);
  else if (typeof v === 'boolean') out.add(`n:${v ? 1 : 0}`);
  else out.add(`n:${String(v)}`);
  return out;
}

/** Values kafkajs fills in itself (defaults and derived fields) rather than reading them. */
const SYNTHETIC = new Set(['n:0', 'n:-1', 'n:1', 's:', 'b:']);

describe('our responses decode with kafkajs', () => {
  test.each(cases)('%s v%d', async (dir, version) => {
    let mod = require(path.join(REQ_DIR, dir, `v${version}`, 'response.js'));
    // a few response modules are factories of the request arguments
    if (typeof mod === 'function') mod = mod(REQUESTS[dir].args);
    const { decode } = mod;
    const apiKey = apiKeyOf(dir);
    const schema = SCHEMAS[API_SPECS[apiKey].responseName];
    const rng = new Rng(apiKey * 1000 + version);
    const value = arbitraryMessage(schema, version, rng, 'typical') as any;
    fixForKafkajs(dir, value);

    const frame = Buffer.concat(encodeResponse(apiKey, version, 123, value));
    expect(frame.readInt32BE(4)).toBe(123);
    const payload = frame.subarray(8);
    const decoded = await decode(payload);

    const ours = leaves(value, new Set());
    if (dir === 'saslAuthenticate') {
      // kafkajs hands the auth bytes back with their int32 length prefix
      const len = Buffer.alloc(4);
      len.writeInt32BE(value.authBytes.length);
      ours.add(`b:${Buffer.concat([len, value.authBytes]).toString('hex')}`);
    }
    if (dir === 'fetch') {
      // kafkajs parsed the record batch we put in each partition (v0-3 carry magic 0/1 message sets, which a v2
      // batch is not, so kafkajs finds no messages there)
      for (const t of decoded.responses) {
        for (const p of t.partitions) {
          const got = p.messages.map((m: any) => [m.offset, m.key.toString(), m.value.toString(), m.timestamp]);
          expect(got).toEqual(version >= 4 ? [['5', 'k', 'v', '1700000000000']] : []);
          delete p.messages;
        }
      }
    }
    // tagged fields are encoded by us but kafkajs (which predates them) ignores them; that's fine
    const theirs = leaves(decoded, new Set());
    // kafkajs reports int64 values as decimal strings
    const unknown = [...theirs].filter((x) => !ours.has(x) && !ours.has(x.replace(/^s:(-?\d+)$/, 'n:$1')) && !SYNTHETIC.has(x));
    expect(unknown).toEqual([]);
    // and kafkajs saw real content, not an empty shell
    if ([...ours].some((x) => !SYNTHETIC.has(x))) expect(theirs.size).toBeGreaterThan(0);
  });
});

/** Adjust random values where kafkajs interprets bytes (record batches, member metadata) instead of passing them on. */
function fixForKafkajs(dir: string, value: any): void {
  // kafkajs turns error codes into error objects (and throws on some); answer with success everywhere
  (function clearErrors(v: any): void {
    if (Array.isArray(v)) v.forEach(clearErrors);
    else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const k of Object.keys(v)) {
        if (k === 'errorCode') v[k] = 0;
        else if (k === 'errorMessage') v[k] = null;
        else clearErrors(v[k]);
      }
    }
  })(value);
  if (dir === 'fetch') {
    const batch = encodeRecordBatch({ baseOffset: 5, records: [{ key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1700000000000 }] });
    for (const t of value.responses ?? []) {
      for (const p of t.partitions ?? []) {
        p.records = batch;
        // kafkajs decodes aborted transactions only when present; keep them well-formed
        if (p.abortedTransactions === null) p.abortedTransactions = [];
      }
    }
  }
  if (dir === 'joinGroup') {
    for (const m of value.members ?? []) m.metadata = Buffer.alloc(0);
  }
  if (dir === 'syncGroup') value.assignment = Buffer.alloc(0);
  if (dir === 'describeGroups') {
    for (const g of value.groups ?? []) for (const m of g.members ?? []) {
      m.memberMetadata = Buffer.alloc(0);
      m.memberAssignment = Buffer.alloc(0);
    }
  }
}
