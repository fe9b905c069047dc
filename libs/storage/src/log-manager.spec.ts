import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatEpochCheckpoint, parseEpochCheckpoint, parseOffsetCheckpoint, readOffsetCheckpoint, writeOffsetCheckpointSync } from './checkpoint';
import { brokerLogDefaults, DEFAULT_LOG_CONFIG, logConfigFromTopicConfigs, logConfigOverrides, logConfigToTopicConfigs, NEVER } from './config';
import { LeaderEpochCache } from './epoch-cache';
import { LogManager } from './log-manager';
import { batch, readAll, rmrf, tempDir } from './test/helpers';

describe('LogManager', () => {
  let root: string;
  beforeEach(() => {
    root = tempDir('runnel-lm-');
  });
  afterEach(() => rmrf(root));

  it('places logs across log dirs, checkpoints in Kafka format, and recovers them after a restart', async () => {
    const dirs = [path.join(root, 'a'), path.join(root, 'b')];
    const lm = await LogManager.open({ logDirs: dirs, defaults: { segmentBytes: 1000 } });
    const logs = [];
    for (let p = 0; p < 4; p++) logs.push(await lm.createLog('orders', p, { retentionMs: 1234 }));
    expect(fs.readdirSync(dirs[0]).filter((f) => f.startsWith('orders-')).length).toBe(2);
    expect(fs.readdirSync(dirs[1]).filter((f) => f.startsWith('orders-')).length).toBe(2);
    expect(lm.getLog('orders', 2)!.config.retentionMs).toBe(1234);
    expect(lm.getLog('orders', 2)!.config.segmentBytes).toBe(1000);
    expect(await lm.createLog('orders', 2)).toBe(lm.getLog('orders', 2));
    for (const l of logs) for (let i = 0; i < 20; i++) await l.append(batch([{ value: `${l.partition}-${i}`.padEnd(60) }]), { leaderEpoch: 3 });
    await lm.getLog('orders', 1)!.deleteRecordsBefore(5);
    await lm.close();
    const rp = fs.readFileSync(path.join(dirs[0], 'recovery-point-offset-checkpoint'), 'utf8');
    expect(rp.split('\n').slice(0, 2)).toEqual(['0', '2']);
    expect(rp).toMatch(/^orders \d 20$/m);
    const lso = readOffsetCheckpoint(path.join(dirs[1], 'log-start-offset-checkpoint'));
    expect([...lso.values()].sort()).toEqual([0, 5]);

    const again = await LogManager.open({ logDirs: dirs, defaults: { segmentBytes: 1000 } });
    expect(again.logs().length).toBe(4);
    for (let p = 0; p < 4; p++) {
      const l = again.getLog('orders', p)!;
      expect(l.logEndOffset).toBe(20);
      expect(l.recoveryPoint).toBe(20);
      expect(l.latestEpoch).toBe(3);
      expect(l.logStartOffset).toBe(p === 1 ? 5 : 0);
      expect((await readAll(l, l.logStartOffset)).length).toBe(p === 1 ? 15 : 20);
    }
    expect(again.describe().map((d) => d.logs.length)).toEqual([2, 2]);
    // deleteLog renames to <topic>-<p>.<id>-delete and removes it
    expect(await again.deleteLog('orders', 0)).toBe(true);
    expect(again.getLog('orders', 0)).toBeUndefined();
    await again.close();
    const leftovers = dirs.flatMap((d) => fs.readdirSync(d)).filter((f) => f.startsWith('orders-0'));
    expect(leftovers.every((f) => f.endsWith('-delete'))).toBe(true);
    const third = await LogManager.open({ logDirs: dirs, exclude: ['orders'] });
    expect(third.logs().length).toBe(0);
    await third.close();
    // Damaged checkpoints cost a full recovery, not the data.
    for (const d of dirs) fs.writeFileSync(path.join(d, 'recovery-point-offset-checkpoint'), 'garbage');
    for (const d of dirs) for (const p of fs.readdirSync(d)) if (p.startsWith('orders-1')) fs.writeFileSync(path.join(d, p, 'leader-epoch-checkpoint'), '0\n7\n');
    const fourth = await LogManager.open({ logDirs: dirs });
    expect(fourth.getLog('orders', 1)!.logEndOffset).toBe(20);
    expect(fourth.getLog('orders', 1)!.latestEpoch).toBe(3);
    expect(fourth.getLog('orders', 2)!.recoveryPoint).toBe(0);
    await fourth.close();
  });

  it('runs retention and the cleaner for its logs', async () => {
    const lm = await LogManager.open({ logDirs: [path.join(root, 'x')], defaults: { segmentBytes: 400, fileDeleteDelayMs: 0 } });
    const del = await lm.createLog('events', 0, { retentionBytes: 500 });
    const cmp = await lm.createLog('state', 0, { cleanupPolicy: 'compact', minCleanableDirtyRatio: 0.1 });
    for (let i = 0; i < 40; i++) {
      await del.append(batch([{ value: `e${i}`.padEnd(50) }]));
      await cmp.append(batch([{ key: `k${i % 3}`, value: `s${i}`.padEnd(50) }]));
    }
    expect(await lm.runRetention()).toBeGreaterThan(0);
    expect(del.logStartOffset).toBeGreaterThan(0);
    const results = await lm.runCleaner();
    expect(results.length).toBe(1);
    expect(results[0].recordsRemoved).toBeGreaterThan(20);
    const cl = readOffsetCheckpoint(path.join(root, 'x', 'cleaner-offset-checkpoint'));
    expect(cl.get('state-0')).toBe(cmp.firstDirtyOffset);
    await lm.close();
    // After a restart, recovered logs are left alone by retention until their config is confirmed (the records
    // carry 2023 timestamps, so time retention would delete them all).
    const lm2 = await LogManager.open({ logDirs: [path.join(root, 'x')], defaults: { segmentBytes: 400, fileDeleteDelayMs: 0 } });
    const ev = lm2.getLog('events', 0)!;
    for (let i = 0; i < 10; i++) await ev.append(batch([{ value: `late${i}`.padEnd(50) }]));
    expect(await lm2.runRetention()).toBe(0);
    lm2.updateConfig('events', 0, {});
    expect(await lm2.runRetention()).toBeGreaterThan(0);
    await lm2.close();
  });
});

describe('checkpoint files', () => {
  it('use Kafka text formats', () => {
    expect(formatEpochCheckpoint([{ epoch: 0, startOffset: 0 }, { epoch: 4, startOffset: 120 }])).toBe('0\n2\n0 0\n4 120\n');
    expect(parseEpochCheckpoint('f', '0\n1\n7 99\n')).toEqual([{ epoch: 7, startOffset: 99 }]);
    expect(parseOffsetCheckpoint('f', '0\n2\nmy.topic 0 15\n__consumer_offsets 49 7\n')).toEqual([
      { topic: 'my.topic', partition: 0, offset: 15 },
      { topic: '__consumer_offsets', partition: 49, offset: 7 },
    ]);
    expect(() => parseOffsetCheckpoint('f', '1\n0\n')).toThrow(/version/);
    expect(() => parseOffsetCheckpoint('f', '0\n2\nt 0 1\n')).toThrow(/expected 2 entries/);
    const dir = tempDir();
    const f = path.join(dir, 'replication-offset-checkpoint');
    writeOffsetCheckpointSync(f, [{ topic: 't', partition: 1, offset: 5 }]);
    expect(fs.readFileSync(f, 'utf8')).toBe('0\n1\nt 1 5\n');
    expect(fs.readdirSync(dir)).toEqual(['replication-offset-checkpoint']);
    rmrf(dir);
  });

  it('leader epoch cache answers OffsetForLeaderEpoch like Kafka', () => {
    const c = new LeaderEpochCache(null);
    c.assign(1, 0);
    c.assign(3, 10);
    c.assign(5, 20);
    expect(c.endOffsetFor(5, 30)).toEqual({ epoch: 5, endOffset: 30 });
    expect(c.endOffsetFor(4, 30)).toEqual({ epoch: 3, endOffset: 20 });
    expect(c.endOffsetFor(1, 30)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(0, 30)).toEqual({ epoch: 0, endOffset: 0 });
    expect(c.endOffsetFor(6, 30)).toEqual({ epoch: -1, endOffset: -1 });
    c.truncateFromStart(15);
    expect(c.all).toEqual([
      { epoch: 3, startOffset: 15 },
      { epoch: 5, startOffset: 20 },
    ]);
    c.truncateFromEnd(20);
    expect(c.latestEpoch).toBe(3);
    c.assign(2, 18); // conflicting (older epoch, later offset): replaces what follows
    expect(c.all).toEqual([{ epoch: 2, startOffset: 18 }]);
  });
});

describe('config mapping', () => {
  it('maps Kafka topic names onto LogConfig', () => {
    const cfg = logConfigFromTopicConfigs({
      'segment.bytes': '1048576',
      'segment.ms': '60000',
      'segment.index.bytes': '4096',
      'retention.ms': '-1',
      'retention.bytes': '1073741824',
      'cleanup.policy': 'delete,compact',
      'delete.retention.ms': '1000',
      'min.compaction.lag.ms': '5',
      'flush.messages': '1',
      'flush.ms': '9223372036854775807',
      'index.interval.bytes': '100',
      'message.timestamp.type': 'LogAppendTime',
      'file.delete.delay.ms': '0',
      'compression.type': 'zstd',
    });
    expect(cfg).toMatchObject({
      segmentBytes: 1048576,
      segmentMs: 60000,
      segmentIndexBytes: 4096,
      retentionMs: -1,
      retentionBytes: 1073741824,
      cleanupPolicy: 'compact,delete',
      deleteRetentionMs: 1000,
      minCompactionLagMs: 5,
      flushMessages: 1,
      flushMs: NEVER,
      indexIntervalBytes: 100,
      messageTimestampType: 'LogAppendTime',
      fileDeleteDelayMs: 0,
    });
    expect(logConfigOverrides({ 'retention.ms': 5, 'unknown.x': 'y' })).toEqual({ retentionMs: 5 });
    expect(() => logConfigOverrides({ 'segment.bytes': 'lots' })).toThrow(/segment\.bytes/);
    expect(() => logConfigFromTopicConfigs({ 'cleanup.policy': 'forever' })).toThrow(/cleanup\.policy/);
    expect(logConfigToTopicConfigs(DEFAULT_LOG_CONFIG)['flush.messages']).toBe('9223372036854775807');
  });

  it('maps broker defaults with Kafka precedence (ms > minutes > hours)', () => {
    expect(brokerLogDefaults({ 'log.retention.hours': '1' }).retentionMs).toBe(3_600_000);
    expect(brokerLogDefaults({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).retentionMs).toBe(120_000);
    expect(brokerLogDefaults({ 'log.retention.hours': '1', 'log.retention.ms': '7' }).retentionMs).toBe(7);
    expect(brokerLogDefaults({ 'log.segment.bytes': '2048', 'log.cleanup.policy': 'compact', 'log.roll.hours': '2' })).toMatchObject({
      segmentBytes: 2048,
      cleanupPolicy: 'compact',
      segmentMs: 7_200_000,
    });
  });
});
