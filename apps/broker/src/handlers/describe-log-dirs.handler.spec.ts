import * as os from 'node:os';
import { FakeCluster } from '../admin/fake-context';
import { describeLogDirsHandler } from './describe-log-dirs.handler';

describe('DescribeLogDirs', () => {
  const dir = os.tmpdir();
  const logManager = {
    describe: () => [
      {
        logDir: dir,
        logs: [
          { topic: 'b', partition: 1, sizeInBytes: 300 },
          { topic: 'a', partition: 0, sizeInBytes: 100 },
          { topic: 'b', partition: 0, sizeInBytes: 200 },
          { topic: '__cluster_metadata', partition: 0, sizeInBytes: 5 },
        ],
      },
      { logDir: '/nonexistent/dir', logs: [] },
    ],
  };
  const cluster = new FakeCluster();
  const ctx = (v: number) => cluster.context({ apiVersion: v, replicas: { logManager } });

  it('lists every dir with partitions, sizes, lag 0, not future (all topics)', async () => {
    const out = await describeLogDirsHandler.handle(ctx(1), { topics: null } as any);
    expect(out!.results).toHaveLength(2);
    const r = out!.results[0];
    expect(r.logDir).toBe(dir);
    expect(r.topics).toEqual([
      { name: 'a', partitions: [{ partitionIndex: 0, partitionSize: 100n, offsetLag: 0n, isFutureKey: false }] },
      {
        name: 'b',
        partitions: [
          { partitionIndex: 0, partitionSize: 200n, offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 1, partitionSize: 300n, offsetLag: 0n, isFutureKey: false },
        ],
      },
    ]);
    expect(out!.results[1].topics).toEqual([]);
  });

  it('filters by topic and partitions', async () => {
    const out = await describeLogDirsHandler.handle(ctx(2), { topics: [{ topic: 'b', partitions: [1] }, { topic: 'zz', partitions: [0] }] } as any);
    expect(out!.results[0].topics).toEqual([{ name: 'b', partitions: [{ partitionIndex: 1, partitionSize: 300n, offsetLag: 0n, isFutureKey: false }] }]);
  });

  it('v4 reports volume sizes (or -1 when the dir cannot be statted)', async () => {
    const out = await describeLogDirsHandler.handle(ctx(4), { topics: null } as any);
    expect(out!.errorCode).toBe(0);
    expect(out!.results[0].totalBytes > 0n).toBe(true);
    expect(out!.results[0].usableBytes >= 0n).toBe(true);
    expect(out!.results[1].totalBytes).toBe(-1n);
  });
});
