// Record batches against librdkafka (Debian's 2.0.2 through python3-confluent-kafka), an implementation
// independent of the npm codec libraries we use. librdkafka's in-process mock cluster stores batches as
// producers send them and serves them unchanged, so:
//   - librdkafka produces with each codec; we Fetch the raw batches over a socket and validate + decode them;
//   - we Produce our batches with each codec; librdkafka's consumer decodes them.
// Skipped (with a note) when python3 or confluent_kafka is missing; `npm test` installs them.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as net from 'node:net';
import { ApiKey, decodeResponse, encodeRequest, FrameDecoder } from '../index';
import { CompressionType, compressionName } from '../compression';
import { RecordBatchView, splitRecordBatches, validateRecordBatch } from './record-batch-view';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;
if (!available) console.warn('librdkafka interop skipped: /usr/bin/python3 with confluent_kafka not found');

const N = 40;
const T0 = 1_700_000_000_000;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

// The same deterministic messages on both sides (keep in sync with the Python below).
interface Msg {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
  timestamp: number;
}
function message(i: number): Msg {
  const len = (i * 41) % 3000;
  const body = Buffer.alloc(len);
  for (let j = 0; j < len; j++) body[j] = (i * 7 + j) % 251;
  return {
    key: i % 10 === 3 ? null : Buffer.from(`k${i}`),
    value: i % 10 === 7 ? null : Buffer.concat([Buffer.from(`v${i}-`), body]),
    headers: i % 5 === 0 ? [['h', Buffer.from(String(i))], ['dup', Buffer.from('a')], ['dup', null]] : [],
    timestamp: T0 + i,
  };
}
const PY_MESSAGE = `
def message(i):
    body = bytes((i * 7 + j) % 251 for j in range((i * 41) % 3000))
    key = None if i % 10 == 3 else b'k%d' % i
    value = None if i % 10 == 7 else (b'v%d-' % i) + body
    headers = [('h', b'%d' % i), ('dup', b'a'), ('dup', None)] if i % 5 == 0 else []
    return key, value, headers, ${T0} + i
`;

const SCRIPT = `
import json, logging, re, sys, time
from confluent_kafka import Producer, Consumer, TopicPartition
${PY_MESSAGE}
N = ${N}
CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
boot = []
class Grab(logging.Handler):
    def emit(self, rec):
        m = re.search(r'replaced with (\\S+)', rec.getMessage())
        if m: boot.append(m.group(1))
log = logging.getLogger('rdkafka'); log.addHandler(Grab()); log.setLevel(logging.INFO)
mock = Producer({'bootstrap.servers': 'unused:1', 'test.mock.num.brokers': 1}, logger=log)
deadline = time.time() + 20
while not boot and time.time() < deadline: mock.poll(0.1)
if not boot: sys.exit('no mock bootstrap address in the librdkafka log')
for c in CODECS:
    p = Producer({'bootstrap.servers': boot[0], 'compression.type': c, 'linger.ms': 50})
    for i in range(N):
        k, v, h, ts = message(i)
        p.produce('rd-' + c, key=k, value=v, headers=h, partition=0, timestamp=ts)
    if p.flush(20) != 0: sys.exit('produce did not finish')
    p.list_topics('ours-' + c, timeout=10)  # the mock auto-creates the topic we produce to later
print(json.dumps({'bootstrap': boot[0]}), flush=True)
sys.stdin.readline()
for c in CODECS:
    cons = Consumer({'bootstrap.servers': boot[0], 'group.id': 'g-' + c, 'enable.auto.commit': False})
    cons.assign([TopicPartition('ours-' + c, 0, 0)])
    got, err = [], None
    deadline = time.time() + 20
    while len(got) < N and time.time() < deadline:
        m = cons.poll(0.2)
        if m is None: continue
        if m.error():
            err = str(m.error()); break
        got.append({'offset': m.offset(), 'key': None if m.key() is None else m.key().hex(),
                    'value': None if m.value() is None else m.value().hex(),
                    'headers': [[k, None if v is None else v.hex()] for k, v in (m.headers() or [])],
                    'ts': m.timestamp()[1]})
    cons.close()
    print(json.dumps({'codec': c, 'error': err, 'records': got}), flush=True)
`;

/** A minimal request/response connection for the test (one request in flight at a time). */
class Conn {
  private frames = new FrameDecoder();
  private waiting: Array<(f: Buffer) => void> = [];
  private correlationId = 0;
  private constructor(private sock: net.Socket) {
    sock.on('data', (chunk) => {
      for (const f of this.frames.push(chunk)) this.waiting.shift()?.(f);
    });
  }
  static open(host: string, port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  async send(apiKey: number, version: number, body: object): Promise<Record<string, unknown>> {
    const correlationId = ++this.correlationId;
    const frame = new Promise<Buffer>((resolve) => this.waiting.push(resolve));
    for (const b of encodeRequest({ apiKey, apiVersion: version, correlationId, clientId: 'records-test' }, body as never)) this.sock.write(b);
    const res = decodeResponse(apiKey, version, await frame);
    expect(res.correlationId).toBe(correlationId);
    return res.body as Record<string, unknown>;
  }
  close(): void {
    this.sock.destroy();
  }
}

function lines(proc: ChildProcessWithoutNullStreams): () => Promise<string> {
  let buf = '';
  const queue: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  proc.stdout.on('data', (d) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiters.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  proc.on('exit', (code) => {
    for (const w of waiters.splice(0)) w(JSON.stringify({ exit: code, stderr }));
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r)));
}

(available ? describe : describe.skip)('librdkafka 2.0.2 interop (mock cluster)', () => {
  jest.setTimeout(90_000);
  let proc: ChildProcessWithoutNullStreams;
  let next: () => Promise<string>;
  let conn: Conn;

  beforeAll(async () => {
    proc = spawn(PYTHON, ['-c', SCRIPT]);
    next = lines(proc);
    const first = JSON.parse(await next());
    if (!first.bootstrap) throw new Error(`python side failed: ${JSON.stringify(first)}`);
    const [host, port] = first.bootstrap.split(':');
    conn = await Conn.open(host, Number(port));
  });

  afterAll(() => {
    conn?.close();
    if (proc && proc.exitCode === null) proc.kill();
  });

  it('batches librdkafka wrote with every codec validate and decode with ours', async () => {
    for (const c of CODECS) {
      const topic = `rd-${compressionName(c)}`;
      const got: Msg[] = [];
      let batches = 0;
      let compressed = 0;
      // The mock serves one batch per fetch, so fetch until all N records are in.
      for (let attempt = 0; got.length < N && attempt < 100; attempt++) {
        const body = await conn.send(ApiKey.Fetch, 4, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 64 << 20,
          isolationLevel: 0,
          topics: [{ topic, partitions: [{ partition: 0, fetchOffset: BigInt(got.length), partitionMaxBytes: 16 << 20 }] }],
        });
        const p = (body.responses as Array<{ partitions: Array<{ errorCode: number; records: Buffer | null }> }>)[0].partitions[0];
        expect(p.errorCode).toBe(0);
        for (const v of splitRecordBatches(p.records ?? Buffer.alloc(0))) {
          batches++;
          // librdkafka sends a batch uncompressed when compressing would not shrink it (e.g. a lone small
          // record when timing splits the batches), so either is fine; most must be compressed.
          expect([c, CompressionType.None]).toContain(v.compression);
          if (v.compression === c) compressed++;
          expect(v.verifyCrc()).toBe(true);
          validateRecordBatch(v);
          for (const r of decodeRecordBatch(v).records) {
            if (r.offset < got.length) continue;
            expect(r.offset).toBe(got.length);
            got.push({ key: r.key, value: r.value, headers: r.headers.map((h) => [h.key, h.value]), timestamp: r.timestamp });
          }
        }
      }
      expect(batches).toBeGreaterThan(0);
      expect(compressed).toBeGreaterThan(0);
      expect(got).toHaveLength(N);
      for (let i = 0; i < N; i++) expect(got[i]).toEqual(message(i));
    }
  });

  it('batches we write with every codec decode with librdkafka', async () => {
    for (const c of CODECS) {
      const batch = encodeRecordBatch({
        compression: c,
        records: Array.from({ length: N }, (_, i) => {
          const m = message(i);
          return { key: m.key, value: m.value, timestamp: m.timestamp, headers: m.headers.map(([key, value]) => ({ key, value })) };
        }),
      });
      expect(new RecordBatchView(batch).compression).toBe(c);
      const res = await conn.send(ApiKey.Produce, 3, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: `ours-${compressionName(c)}`, partitionData: [{ index: 0, records: batch }] }],
      });
      const pr = (res.responses as Array<{ partitionResponses: Array<{ errorCode: number }> }>)[0].partitionResponses[0];
      expect(pr.errorCode).toBe(0);
    }
    proc.stdin.write('go\n');
    for (const c of CODECS) {
      const line = JSON.parse(await next());
      expect(line).toMatchObject({ codec: compressionName(c), error: null });
      const got = line.records as Array<{ offset: number; key: string | null; value: string | null; headers: Array<[string, string | null]>; ts: number }>;
      expect(got).toHaveLength(N);
      for (let i = 0; i < N; i++) {
        const m = message(i);
        expect(got[i]).toEqual({
          offset: i,
          key: m.key?.toString('hex') ?? null,
          value: m.value?.toString('hex') ?? null,
          headers: m.headers.map(([k, v]) => [k, v?.toString('hex') ?? null]),
          ts: m.timestamp,
        });
      }
    }
  });
});
