// All partition logs of a node across its log.dirs: loading and recovery at startup, the per-dir checkpoint files,
// placement of new logs, and the background retention, cleaner and checkpoint tasks.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BufferPool, IoGate } from './buffer-pool';
import { CheckpointError, readOffsetCheckpoint, TopicPartitionOffset, writeOffsetCheckpoint } from './checkpoint';
import { cleanableRatio, cleanLog, CleanResult } from './cleaner';
import { DEFAULT_LOG_CONFIG, hasCompact, LogConfig, validateLogConfig } from './config';
import { LogClosedError } from './errors';
import {
  CLEANER_OFFSET_CHECKPOINT,
  DELETE_DIR_SUFFIX,
  LOG_START_OFFSET_CHECKPOINT,
  parsePartitionDirName,
  partitionDirName,
  RECOVERY_POINT_CHECKPOINT,
} from './files';
import { LogStats, PartitionLog, StorageLogger } from './partition-log';
import { SegmentCache } from './segment';

export interface LogManagerOptions {
  logDirs: string[];
  /** Broker-wide defaults (see brokerLogDefaults); per-log overrides come with createLog / updateConfig. */
  defaults?: Partial<LogConfig>;
  /** Per-topic overrides known at startup (e.g. from the metadata image), by topic name. */
  topicConfigs?: (topic: string) => Partial<LogConfig> | undefined;
  /** Open sealed segments kept (file handles + indexes); active segments are always open. */
  maxOpenSegments?: number;
  maxIndexMemoryBytes?: number;
  /** Concurrent thread-pool reads (default 2 of libuv's 4 threads; raise with UV_THREADPOOL_SIZE). */
  maxConcurrentReads?: number;
  /** Writes up to this size are synchronous pwrites; larger ones use the thread pool (default 64 KiB). */
  syncWriteThreshold?: number;
  /** log.retention.check.interval.ms (default 300000). */
  retentionCheckIntervalMs?: number;
  /** log.cleaner.backoff.ms (default 15000). */
  cleanerBackoffMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000). */
  checkpointIntervalMs?: number;
  /** Logs recovered in parallel at startup (log.recovery.threads.per.data.dir-like). */
  recoveryConcurrency?: number;
  /** Topics whose directories this manager must not open (e.g. the controller's __cluster_metadata). */
  exclude?: string[];
  logger?: StorageLogger;
  now?: () => number;
}

interface Entry {
  log: PartitionLog;
  logDir: string;
  configured: boolean;
}

export class LogManager {
  readonly logDirs: string[];
  private defaults: LogConfig;
  private readonly entries = new Map<string, Entry>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  readonly cache: SegmentCache;
  readonly pool: BufferPool;
  readonly readGate: IoGate;
  private readonly opts: LogManagerOptions;
  private timers: NodeJS.Timeout[] = [];
  private cleanerRunning: Promise<void> | null = null;
  private closed = false;
  private started = false;
  private lsoDirty = false;
  private lsoTimer: NodeJS.Timeout | null = null;
  private checkpointChain: Promise<void> = Promise.resolve();

  constructor(opts: LogManagerOptions) {
    if (!opts.logDirs || opts.logDirs.length === 0) throw new Error('LogManager needs at least one log dir');
    this.opts = opts;
    this.logDirs = opts.logDirs.map((d) => path.resolve(d));
    this.defaults = validateLogConfig({ ...DEFAULT_LOG_CONFIG, ...(opts.defaults ?? {}) });
    this.cache = new SegmentCache(opts.maxOpenSegments ?? 256, opts.maxIndexMemoryBytes ?? 128 * 1024 * 1024);
    this.pool = new BufferPool();
    this.readGate = new IoGate(opts.maxConcurrentReads ?? 2);
    for (const d of this.logDirs) fs.mkdirSync(d, { recursive: true });
  }

  /** new LogManager(opts) + startup(). */
  static async open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    await m.startup();
    return m;
  }

  /** Same as startup() (for callers that hold an instance). */
  open(): Promise<void> {
    return this.startup();
  }

  get defaultConfig(): Readonly<LogConfig> {
    return this.defaults;
  }

  /** Loads and recovers every `<topic>-<partition>` directory in every log dir; removes `-delete` leftovers. */
  async startup(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const work: Array<() => Promise<void>> = [];
    for (const logDir of this.logDirs) {
      // A damaged checkpoint costs a full recovery scan (recovery points 0), never the data.
      const rp = this.readCheckpointTolerant(path.join(logDir, RECOVERY_POINT_CHECKPOINT));
      const lso = this.readCheckpointTolerant(path.join(logDir, LOG_START_OFFSET_CHECKPOINT));
      const cleaner = this.readCheckpointTolerant(path.join(logDir, CLEANER_OFFSET_CHECKPOINT));
      for (const ent of fs.readdirSync(logDir, { withFileTypes: true })) {
        if (!ent.isDirectory()) continue;
        if (ent.name.endsWith(DELETE_DIR_SUFFIX)) {
          void fs.promises.rm(path.join(logDir, ent.name), { recursive: true, force: true });
          continue;
        }
        const tp = parsePartitionDirName(ent.name);
        if (!tp || this.opts.exclude?.includes(tp.topic)) continue;
        const key = partitionDirName(tp.topic, tp.partition);
        if (this.entries.has(key)) throw new Error(`duplicate log ${key} in ${logDir} and ${this.entries.get(key)!.logDir}`);
        // Reserve the key now so duplicates across dirs are detected before the async work.
        this.entries.set(key, undefined as unknown as Entry);
        work.push(async () => {
          const log = await this.openLog(logDir, tp.topic, tp.partition, this.opts.topicConfigs?.(tp.topic) ?? {}, rp.get(key) ?? 0, lso.get(key) ?? 0);
          const dirty = cleaner.get(key);
          if (dirty !== undefined) log.firstDirtyOffset = Math.max(log.logStartOffset, Math.min(dirty, log.logEndOffset));
          // Without topic configs a recovered log runs with broker defaults; retention and cleaning wait until
          // the owner confirms its configuration (createLog/updateConfig), so a compacted topic is never
          // deleted by time just because its config was not known yet at startup.
          this.entries.set(key, { log, logDir, configured: this.opts.topicConfigs !== undefined });
        });
      }
    }
    await runLimited(work, this.opts.recoveryConcurrency ?? 4);
    await this.checkpoint();
  }

  private readCheckpointTolerant(file: string): Map<string, number> {
    try {
      return readOffsetCheckpoint(file);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      this.opts.logger?.warn(`${(e as Error).message}; ignoring it`);
      return new Map();
    }
  }

  private openLog(logDir: string, topic: string, partition: number, cfg: Partial<LogConfig>, recoveryPoint: number, logStartOffset: number): Promise<PartitionLog> {
    return PartitionLog.open({
      dir: path.join(logDir, partitionDirName(topic, partition)),
      topic,
      partition,
      config: { ...this.defaults, ...cfg },
      recoveryPoint,
      logStartOffset,
      cache: this.cache,
      bufferPool: this.pool,
      readGate: this.readGate,
      syncWriteThreshold: this.opts.syncWriteThreshold,
      logger: this.opts.logger,
      now: this.opts.now,
      onLogStartOffsetChange: () => this.scheduleLsoCheckpoint(),
    });
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.entries.get(partitionDirName(topic, partition))?.log;
  }

  /** Returns the existing log or creates an empty one in the log dir holding the fewest partitions. */
  async createLog(topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog> {
    if (this.closed) throw new LogClosedError('log manager is closed');
    const key = partitionDirName(topic, partition);
    const existing = this.entries.get(key);
    if (existing?.log) {
      if (config) existing.log.updateConfig({ ...this.defaults, ...config });
      existing.configured = true;
      return existing.log;
    }
    // A concurrent createLog (or startup) for the same partition: wait for it instead of opening the dir twice.
    const inFlight = this.creating.get(key);
    if (inFlight) return inFlight;
    const p = this.doCreateLog(key, topic, partition, config);
    this.creating.set(key, p);
    try {
      return await p;
    } finally {
      this.creating.delete(key);
    }
  }

  private async doCreateLog(key: string, topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog> {
    const counts = new Map(this.logDirs.map((d) => [d, 0]));
    for (const e of this.entries.values()) if (e) counts.set(e.logDir, (counts.get(e.logDir) ?? 0) + 1);
    const logDir = [...counts.entries()].sort((a, b) => a[1] - b[1])[0][0];
    this.entries.set(key, undefined as unknown as Entry);
    try {
      const log = await this.openLog(logDir, topic, partition, config ?? {}, 0, 0);
      this.entries.set(key, { log, logDir, configured: true });
      return log;
    } catch (e) {
      this.entries.delete(key);
      throw e;
    }
  }

  /** Closes the log and renames its directory to `<topic>-<partition>.<id>-delete`, removed in the background. */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const key = partitionDirName(topic, partition);
    const e = this.entries.get(key);
    if (!e?.log) return false;
    this.entries.delete(key);
    await e.log.idle();
    e.log.closeNow();
    const target = path.join(e.logDir, `${key}.${crypto.randomUUID().replace(/-/g, '')}${DELETE_DIR_SUFFIX}`);
    fs.renameSync(e.log.dir, target);
    void fs.promises.rm(target, { recursive: true, force: true }).catch(() => undefined);
    await this.checkpoint();
    return true;
  }

  /** New topic-level overrides for one log (merged over the broker defaults). */
  updateConfig(topic: string, partition: number, config: Partial<LogConfig>): void {
    const e = this.entries.get(partitionDirName(topic, partition));
    if (!e?.log) return;
    e.log.updateConfig({ ...this.defaults, ...config });
    e.configured = true;
  }

  /** Logs whose configuration is known (see startup), the ones background retention and cleaning touch. */
  private configuredLogs(): PartitionLog[] {
    return [...this.entries.values()].filter((e) => e?.log && e.configured).map((e) => e.log);
  }

  /** New broker-wide defaults; logs keep their own overrides only if passed again via updateConfig. */
  updateDefaults(defaults: Partial<LogConfig>): void {
    this.defaults = validateLogConfig({ ...this.defaults, ...defaults });
  }

  logs(): PartitionLog[] {
    return [...this.entries.values()].filter((e) => e?.log).map((e) => e.log);
  }

  /** Per-dir view for DescribeLogDirs and metrics. */
  describe(): Array<{ logDir: string; logs: LogStats[]; sizeInBytes: number }> {
    return this.logDirs.map((d) => {
      const logs = [...this.entries.values()].filter((e) => e?.log && e.logDir === d).map((e) => e.log.stats());
      return { logDir: d, logs, sizeInBytes: logs.reduce((n, l) => n + l.sizeInBytes, 0) };
    });
  }

  // ------------------------------------------------------------------ background work

  /** Starts retention, cleaner and checkpoint timers (all unref'd). */
  startBackgroundTasks(): void {
    if (this.timers.length > 0 || this.closed) return;
    const every = (ms: number, fn: () => Promise<unknown>) => {
      let running = false;
      const t = setInterval(() => {
        if (running) return;
        running = true;
        fn()
          .catch((e) => this.opts.logger?.warn(`background task failed: ${(e as Error).message}`))
          .finally(() => (running = false));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300_000, () => this.runRetention());
    every(this.opts.cleanerBackoffMs ?? 15_000, () => this.runCleaner());
    every(this.opts.checkpointIntervalMs ?? 60_000, () => this.checkpoint());
  }

  stopBackgroundTasks(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** One retention pass over every log; returns segments deleted. */
  async runRetention(now?: number): Promise<number> {
    let n = 0;
    for (const log of this.configuredLogs()) n += await log.applyRetention(now);
    return n;
  }

  /** One cleaner pass: cleans the dirtiest eligible compacted log (or all, when `all`). */
  async runCleaner(options: { now?: number; force?: boolean; all?: boolean } = {}): Promise<CleanResult[]> {
    if (this.cleanerRunning) await this.cleanerRunning;
    const results: CleanResult[] = [];
    const run = async () => {
      const now = options.now ?? Date.now();
      const candidates: Array<{ log: PartitionLog; ratio: number }> = [];
      for (const log of this.configuredLogs()) {
        if (!hasCompact(log.config)) continue;
        const r = await cleanableRatio(log, now);
        if (options.force || r.ratio >= log.config.minCleanableDirtyRatio || r.mustClean) candidates.push({ log, ratio: r.ratio });
      }
      candidates.sort((a, b) => b.ratio - a.ratio);
      for (const c of options.all ? candidates : candidates.slice(0, 1)) {
        const r = await cleanLog(c.log, { now, force: true });
        if (r) results.push(r);
      }
      if (results.length) await this.checkpoint();
    };
    this.cleanerRunning = run().finally(() => (this.cleanerRunning = null));
    await this.cleanerRunning;
    return results;
  }

  private scheduleLsoCheckpoint(): void {
    this.lsoDirty = true;
    if (this.lsoTimer || this.closed) return;
    // DeleteRecords answers must survive a restart: checkpoint shortly after, batching bursts.
    this.lsoTimer = setTimeout(() => {
      this.lsoTimer = null;
      void this.checkpoint().catch(() => undefined);
    }, 100);
    this.lsoTimer.unref();
  }

  /** Writes recovery-point, log-start-offset and cleaner-offset checkpoints of every log dir (one at a time). */
  checkpoint(): Promise<void> {
    const run = () => this.writeCheckpoints();
    const p = this.checkpointChain.then(run, run);
    this.checkpointChain = p.catch(() => undefined);
    return p;
  }

  private async writeCheckpoints(): Promise<void> {
    this.lsoDirty = false;
    for (const d of this.logDirs) {
      const rp: TopicPartitionOffset[] = [];
      const lso: TopicPartitionOffset[] = [];
      const cl: TopicPartitionOffset[] = [];
      for (const e of this.entries.values()) {
        if (!e?.log || e.logDir !== d) continue;
        const { topic, partition } = e.log;
        rp.push({ topic, partition, offset: e.log.recoveryPoint });
        lso.push({ topic, partition, offset: e.log.logStartOffset });
        if (hasCompact(e.log.config)) cl.push({ topic, partition, offset: e.log.firstDirtyOffset });
      }
      await writeOffsetCheckpoint(path.join(d, RECOVERY_POINT_CHECKPOINT), rp);
      await writeOffsetCheckpoint(path.join(d, LOG_START_OFFSET_CHECKPOINT), lso);
      await writeOffsetCheckpoint(path.join(d, CLEANER_OFFSET_CHECKPOINT), cl);
    }
  }

  /** Flushes every log (fsync) and checkpoints the recovery points. */
  async flushAll(): Promise<void> {
    for (const log of this.logs()) await log.flush();
    await this.checkpoint();
  }

  /** Stops background work, flushes and closes every log, writes the checkpoints (a clean shutdown). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopBackgroundTasks();
    if (this.lsoTimer) clearTimeout(this.lsoTimer);
    if (this.cleanerRunning) await this.cleanerRunning.catch(() => undefined);
    for (const log of this.logs()) await log.close().catch((e) => this.opts.logger?.warn(`closing ${log.topic}-${log.partition}: ${(e as Error).message}`));
    await this.checkpoint();
  }
}

async function runLimited(work: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < work.length) await work[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, work.length) }, worker));
}
