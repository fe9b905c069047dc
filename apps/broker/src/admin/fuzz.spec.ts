// Seeded random requests (every shape the codec can decode: nulls, empty and large arrays, odd names and numbers)
// for every admin handler and version. The handler must answer (never throw) and the answer must encode.
import { decodeRequestFrame, decodeResponse, encodeRequest, encodeResponse, getSchema } from '@runnel/protocol';
import { Rng, arbitraryMessage } from '../../../../libs/protocol/src/testing/arbitrary';
import type { ArbitraryMode } from '../../../../libs/protocol/src/testing/arbitrary';
import { HANDLERS } from '../handlers';
import { FakeCluster } from './fake-context';

const ADMIN_KEYS = [19, 20, 21, 32, 33, 35, 37, 44, 60];
const NAMES: Record<number, string> = {
  19: 'CreateTopicsRequest',
  20: 'DeleteTopicsRequest',
  21: 'DeleteRecordsRequest',
  32: 'DescribeConfigsRequest',
  33: 'AlterConfigsRequest',
  35: 'DescribeLogDirsRequest',
  37: 'CreatePartitionsRequest',
  44: 'IncrementalAlterConfigsRequest',
  60: 'DescribeClusterRequest',
};
const MODES: ArbitraryMode[] = ['typical', 'nulls', 'empty', 'large'];

/** A controller that answers every forwarded item with a plausible mix of codes (and sometimes nothing). */
function chaosController(rng: Rng) {
  return async (apiKey: number, _version: number, body: any) => {
    const pick = () => [0, 0, 3, 36, 40, 41, 42][rng.int(0, 6)];
    if (rng.next() < 0.1) throw new Error('controller connection lost');
    switch (apiKey) {
      case 19:
        return { topics: (body.topics ?? []).filter(() => rng.next() < 0.9).map((t: any) => ({ name: t.name, errorCode: pick(), errorMessage: null })) };
      case 20:
        return { responses: (body.topicNames ?? []).map((name: string) => ({ name, errorCode: pick() })) };
      case 37:
        return { results: (body.topics ?? []).map((t: any) => ({ name: t.name, errorCode: pick(), errorMessage: 'x' })) };
      default:
        return { responses: (body.resources ?? []).map((r: any) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: pick(), errorMessage: null })) };
    }
  };
}

describe('admin handlers under random requests', () => {
  const cluster = new FakeCluster();
  cluster.createTopic('a', 2, [1], { 'retention.ms': '1' });
  const handlers = new Map(HANDLERS.filter((h) => ADMIN_KEYS.includes(h.apiKey)).map((h) => [h.apiKey, h]));

  it('every admin API is registered', () => {
    expect([...handlers.keys()].sort((a, b) => a - b)).toEqual(ADMIN_KEYS);
  });

  for (const apiKey of ADMIN_KEYS) {
    it(`${NAMES[apiKey]}: answers and encodes for random requests of every version`, async () => {
      const h = handlers.get(apiKey)!;
      const schema = getSchema(NAMES[apiKey]);
      const rng = new Rng(apiKey * 7919);
      for (let v = h.minVersion; v <= h.maxVersion; v++) {
        for (const mode of MODES) {
          for (let i = 0; i < 3; i++) {
            const raw = arbitraryMessage(schema, v, rng, mode);
            // Keep timeouts short so retries against the chaos controller end quickly.
            if ('timeoutMs' in raw) raw.timeoutMs = rng.int(-5, 50);
            const frame = Buffer.concat(encodeRequest({ apiKey, apiVersion: v, correlationId: 1, clientId: 'fuzz' } as any, raw as any));
            const req = decodeRequestFrame(frame.subarray(4)).body;
            const log = { logStartOffset: 0, deleteRecordsBefore: async (o: number) => (log.logStartOffset = o) };
            const partition = { key: 'a-0', log, highWatermark: 5, get logStartOffset() { return log.logStartOffset; }, poke: () => undefined };
            const ctx = cluster.context({
              apiVersion: v,
              forward: chaosController(rng),
              replicas: {
                leaderFor: (t: string, p: number) => (t === 'a' && p === 0 ? { partition, errorCode: 0 } : { partition: null, errorCode: 3 }),
                logManager: { describe: () => [{ logDir: '/tmp', logs: [{ topic: 'a', partition: 0, sizeInBytes: 3 }] }] },
                get: () => ({}),
              },
            });
            const res = await h.handle(ctx, req);
            const out = Buffer.concat(encodeResponse(apiKey, v, 1, res as any));
            expect(() => decodeResponse(apiKey, v, out.subarray(4))).not.toThrow();
          }
        }
      }
    }, 120_000);
  }
});
