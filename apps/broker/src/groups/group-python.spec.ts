// Developer check (set RUNNEL_GROUPS_PYTHON=1): the Python group scripts of apps/interop-e2e against the
// in-process broker, for a quick loop without building dist/. CI runs them against real processes in
// apps/interop-e2e/src/groups.e2e.spec.ts.
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { startInProcessBroker, type InProcessBroker } from './testing/in-process-broker';

const enabled = process.env.RUNNEL_GROUPS_PYTHON === '1';
const SCRIPTS = path.join(__dirname, '../../../interop-e2e/src/python');
jest.setTimeout(120_000);

function py(script: string, args: object): Promise<any> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [path.join(SCRIPTS, script), JSON.stringify(args)], { timeout: 110_000, maxBuffer: 10 << 20 }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (err || !last.startsWith('{')) reject(new Error(`${script} failed: ${err?.message}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(last));
    });
  });
}

(enabled ? describe : describe.skip)('python group clients (in-process broker)', () => {
  let broker: InProcessBroker;
  beforeEach(async () => {
    broker = await startInProcessBroker({ 'offsets.topic.num.partitions': 5 });
  });
  afterEach(() => broker.close());

  for (const strategy of ['range', 'cooperative-sticky']) {
    it(`confluent-kafka ${strategy}`, async () => {
      await broker.fb.addTopic('ck', 3);
      const r = await py('groups_ck.py', { bootstrap: broker.bootstrap, topic: 'ck', group: `ck-${strategy}`, count: 300, strategy });
      console.log(JSON.stringify(r));
      expect(r.unique).toBe(300);
    });
  }

  it('kafka-python', async () => {
    await broker.fb.addTopic('kp', 3);
    const r = await py('groups_kp.py', { bootstrap: broker.bootstrap, topic: 'kp', group: 'kp-group', count: 60 });
    console.log(JSON.stringify(r));
    expect(r.seen).toBe(60);
    const t = await py('groups_offsets_topic.py', { bootstrap: broker.bootstrap, group: 'kp-group' });
    console.log(JSON.stringify(t));
    expect(t.offsets['kp-0'].offset).toBe(20);
  });
});
