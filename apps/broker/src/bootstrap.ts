// Starts one broker: local logs, the link to the controller (registration, heartbeats, metadata log), the Kafka
// listeners and the /metrics + /health HTTP server. Returns a handle whose close() shuts it all down in order
// (controlled shutdown first, logs flushed and closed last).
import { ApiKey } from '@runnel/protocol';
import type { KafkaConfig } from '@runnel/config';
import { MetadataImage } from '@runnel/metadata';
import { NestFactory } from '@nestjs/core';
import { MetricsHttpService, createMetricsRegistry } from '@runnel/metrics';
import { BrokerModule } from './broker.module';
import * as storage from '@runnel/storage';
import { Dispatcher } from './api/dispatcher';
import { ApiRegistry } from './api/registry';
import { BrokerLifecycle, SECURITY_PROTOCOL_IDS } from './controller/broker-lifecycle';
import { ControllerChannel } from './controller/controller-channel';
import { HANDLERS } from './handlers';
import { MetadataCache } from './metadata/metadata-cache';
import { MetadataLoader } from './metadata/metadata-loader';
import { TopicConfigs } from './metadata/topic-configs';
import { BrokerMetrics } from './metrics/broker.metrics';
import { startGroupCoordinator, stopGroupCoordinator } from './groups/group-coordinator.service';
import { FetchWaiter } from './partitions/fetch-waiter';
import type { Partition } from './partitions/partition';
import { ReplicaManager } from './partitions/replica-manager';
import { AlterPartitionSender } from './replication/alter-partition-sender';
import { ReplicaFetcherManager } from './replication/replica-fetcher';
import { ProducerIdManager } from './producers/producer-id-manager';
import { ProducerStateManager } from './producers/producer-state';
import { KafkaServer } from './server/kafka-server';
import type { AdvertisedListener, BrokerServices } from './services';
import { createLogger } from './util/logger';

export interface BrokerHandle {
  readonly nodeId: number;
  /** Client listeners as bound (real ports). */
  readonly listeners: readonly AdvertisedListener[];
  readonly metricsPort: number | null;
  close(): Promise<void>;
}

const READY_WAIT_MS = 15_000;

export async function startBroker(config: KafkaConfig): Promise<BrokerHandle> {
  const nodeId = config.nodeId;
  const log = createLogger(`broker-${nodeId}`);
  const listeners = config.brokerListeners();
  if (listeners.length === 0) throw new Error('listeners has no client listener (every listener is a controller listener)');
  for (const l of listeners) {
    if (l.securityProtocol !== 'PLAINTEXT') {
      throw new Error(`listeners: ${l.name} uses ${l.securityProtocol}; only PLAINTEXT listeners are supported so far`);
    }
  }
  const registry = createMetricsRegistry({ app: 'broker', nodeId });
  const metrics = new BrokerMetrics(registry, config.getBoolean('metrics.partition.level'));

  const image = new MetadataImage();
  const metadata = new MetadataCache(image);
  const voters = config.quorumVoters();
  if (voters.length === 0) throw new Error('controller.quorum.voters is not set: a broker needs a controller to register with');
  const controller = new ControllerChannel({
    voters: voters.map((v) => ({ id: v.nodeId, host: v.host, port: v.port })),
    clientId: `runnel-broker-${nodeId}`,
    metadata,
    log: log.child('controller'),
  });
  const topicConfigs = new TopicConfigs(metadata, config, nodeId);

  const logConfigFor = (topic: string): Partial<storage.LogConfig> => {
    try {
      return storage.logConfigOverrides(topicConfigs.values(topic));
    } catch (err) {
      log.warn(`topic ${topic} has an invalid storage setting (${(err as Error).message}); using broker defaults`);
      return {};
    }
  };
  const logManager = await openLogManager(config, log, logConfigFor);
  const producers = new ProducerStateManager();
  const lifecycleRef: { current: BrokerLifecycle | null } = { current: null };
  const brokerEpoch = (): number => lifecycleRef.current?.brokerEpoch ?? -1;
  const alterPartition = new AlterPartitionSender({
    nodeId,
    brokerEpoch,
    controller,
    log: log.child('isr'),
    brokerEpochOf: (id) => metadata.broker(id)?.epoch ?? -1,
  });
  const followerLag = new Map<Partition, number>();
  const fetchers = new ReplicaFetcherManager({
    nodeId,
    metadata,
    log: log.child('replica-fetcher'),
    listenerName: config.interBrokerListenerName(),
    maxWaitMs: config.getInt('replica.fetch.wait.max.ms'),
    minBytes: config.getInt('replica.fetch.min.bytes'),
    partitionMaxBytes: config.getInt('replica.fetch.max.bytes'),
    responseMaxBytes: config.getInt('replica.fetch.response.max.bytes'),
    backoffMs: config.getInt('replica.fetch.backoff.ms'),
    requestTimeoutMs: config.getInt('replica.socket.timeout.ms'),
    onLag: (p, lag) => followerLag.set(p, lag),
    onAppended: (p, bytes) => metrics.replicationBytesIn.inc({ topic: p.topic }, bytes),
  });
  const replicas = new ReplicaManager({
    nodeId,
    logManager,
    metadata,
    log: log.child('replicas'),
    logConfigFor,
    minInsyncReplicas: (topic) => topicConfigs.getNumber(topic, 'min.insync.replicas', 1),
    alterIsr: async (p, isr) => {
      const before = p.isr.length;
      const state = await alterPartition.submit(p, isr);
      if (state) (state.isr.length < before ? metrics.isrShrinks : metrics.isrExpands).inc();
      if (state) log.info(`ISR of ${p.key} is now [${state.isr.join(',')}] (partition epoch ${state.partitionEpoch})`);
      return state;
    },
    onLogRewritten: (p) => producers.drop(p.key),
    replicaLagTimeMs: config.getLong('replica.lag.time.max.ms'),
    highWatermarkCheckpointMs: config.getLong('replica.high.watermark.checkpoint.interval.ms'),
    followers: fetchers,
  });
  replicas.events.on('partition-removed', (p: Partition) => {
    producers.drop(p.key);
    followerLag.delete(p);
  });
  metrics.setPartitionSource({
    *partitions() {
      for (const p of replicas.partitions()) {
        yield { topic: p.topic, partition: p.partition, leader: p.isLeader(), size: p.log.sizeInBytes, start: p.logStartOffset, end: p.logEndOffset };
      }
    },
  });
  const fetchWaiter = new FetchWaiter();
  metrics.setGaugeSource({
    parkedFetches: () => fetchWaiter.size,
    producers: () => producers.producerCount(),
    replication: () => {
      const s = replicas.replicationSummary();
      let followerMaxLag = 0;
      for (const [p, lag] of followerLag) if (p.isFollower()) followerMaxLag = Math.max(followerMaxLag, lag);
      return { underReplicated: s.underReplicated, underMinIsr: s.underMinIsr, maxFollowerLag: s.maxFollowerLag, followerMaxLag };
    },
  });
  const producerIds = new ProducerIdManager({ controller, nodeId, brokerEpoch, logDir: config.logDirs()[0], log: log.child('producer-ids') });

  const apiRegistry = new ApiRegistry(HANDLERS);
  const advertised: AdvertisedListener[] = [];
  const services: BrokerServices = {
    nodeId,
    config,
    brokerEpoch,
    listeners: advertised,
    metadata,
    topicConfigs,
    controller,
    replicas,
    fetchWaiter,
    producers,
    producerIds,
    metrics,
    log,
    apiVersions: () => apiRegistry.versions(),
  };
  const dispatcher = new Dispatcher(apiRegistry, services);
  const server = new KafkaServer({
    listeners,
    handler: (frame, conn) => dispatcher.handleFrame(frame, conn),
    maxRequestBytes: config.getInt('socket.request.max.bytes'),
    idleTimeoutMs: config.getLong('connections.max.idle.ms'),
    log: log.child('net'),
    metrics,
  });

  let ready = false;
  const readiness = () => ({ ready, details: { metadataOffset: metadata.offset, brokerEpoch: brokerEpoch() } });
  let app: Awaited<ReturnType<typeof NestFactory.createApplicationContext>> | null = null;

  // The long-poll metadata Fetch gets its own controller connection, so admin forwards and heartbeats never queue
  // behind a parked fetch.
  const metadataChannel = new ControllerChannel({
    voters: voters.map((v) => ({ id: v.nodeId, host: v.host, port: v.port })),
    clientId: `runnel-broker-${nodeId}-metadata`,
    metadata,
    log: log.child('controller'),
  });
  const isVoter = voters.some((v) => v.nodeId === nodeId);
  const loader = new MetadataLoader({
    image,
    controller: metadataChannel,
    nodeId,
    observerId: isVoter ? undefined : nodeId,
    log: log.child('metadata'),
    // Topics deleted while we were too far behind left no event: drop their local logs now.
    onSnapshotLoaded: () => void replicas.deleteStrayLogs().catch((err) => log.warn(`deleting stray logs failed: ${(err as Error).message}`)),
  });
  const cleanup: Array<() => Promise<void> | void> = [];
  let stopExpiry = (): void => undefined;
  try {
    // Like Kafka, open the client port only once the broker can serve (clients get "connection refused" and
    // retry, instead of a silent socket). With port 0 we must bind first to learn the port we register.
    const bindEarly = listeners.some((l) => l.port === 0);
    const bound = bindEarly ? await server.bind() : [];
    cleanup.push(() => server.close());
    for (const l of config.advertisedListeners()) {
      const b = bound.find((x) => x.name === l.name);
      advertised.push({ name: l.name, host: l.host, port: l.port === 0 && b ? b.boundPort : l.port, securityProtocol: l.securityProtocol });
    }
    // The Nest app serves /metrics and /health (503 on /health/ready until the broker serves clients).
    app = await NestFactory.createApplicationContext(BrokerModule.forRoot({ config, registry, readiness }), {
      logger: ['warn', 'error'],
      abortOnError: false,
    });
    const nest = app;
    cleanup.push(() => nest.close());
    const metricsServer = app.get(MetricsHttpService).server;

    const clusterId = await fetchClusterId(controller);
    if (clusterId) image.clusterId = clusterId;
    const lifecycle = new BrokerLifecycle({
      nodeId,
      controller,
      listeners: () => advertised.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: SECURITY_PROTOCOL_IDS[l.securityProtocol] ?? 0 })),
      clusterId: () => image.clusterId,
      rack: config.getOptionalString('broker.rack'),
      heartbeatIntervalMs: config.getInt('broker.heartbeat.interval.ms'),
      metadataOffset: () => metadata.offset,
      log: log.child('lifecycle'),
    });
    lifecycleRef.current = lifecycle;
    const epoch = await lifecycle.register();
    cleanup.push(async () => void (await lifecycle.shutdown()));

    loader.start();
    cleanup.push(() => loader.stop());
    await loader.waitCaughtUp();
    await metadata.waitForOffset(epoch, READY_WAIT_MS);
    await replicas.start();
    cleanup.push(() => replicas.stop());
    startGroupCoordinator(services);
    cleanup.push(() => stopGroupCoordinator(services));

    lifecycle.startHeartbeats();
    const expiration = config.has('producer.id.expiration.ms') ? config.getLong('producer.id.expiration.ms') : 86_400_000;
    const expiry = setInterval(() => producers.expire(expiration), Math.min(600_000, Math.max(1000, expiration / 10)));
    expiry.unref();
    cleanup.push(() => clearInterval(expiry));
    stopExpiry = () => clearInterval(expiry);
    const unfenced = await metadata.waitUntil((m) => m.broker(nodeId)?.fenced === false, READY_WAIT_MS);
    if (!unfenced) log.warn(`still fenced after ${READY_WAIT_MS} ms; serving clients anyway`);
    await replicas.idle(); // leaderships handed back on unfence are applied to the local partitions
    if (!bindEarly) await server.bind();
    server.open();
    ready = true;
    void replicas.deleteStrayLogs().catch((err) => log.warn(`deleting stray logs failed: ${(err as Error).message}`));
    log.info(
      `broker ${nodeId} ready: ${advertised.map((l) => `${l.name}://${l.host}:${l.port}`).join(', ')}; ` +
        `metadata offset ${metadata.offset}, ${replicas.size} local partitions` +
        (metricsServer.port !== null ? `; metrics on http://${metricsServer.host}:${metricsServer.port}/metrics` : ''),
    );
  } catch (err) {
    await runCleanup(cleanup.reverse(), log);
    fetchWaiter.close();
    await fetchers.stop();
    controller.close();
    metadataChannel.close();
    await closeLogManager(logManager);
    throw err;
  }

  let closing: Promise<void> | null = null;
  return {
    nodeId,
    listeners: advertised,
    metricsPort: app?.get(MetricsHttpService).port ?? null,
    close(): Promise<void> {
      if (!closing) {
        closing = (async () => {
          ready = false;
          log.info('shutting down');
          // Controlled shutdown first so the controller moves leaderships while we can still answer.
          const t0 = Date.now();
          const outcome = await lifecycleRef.current?.shutdown().catch((e: Error) => `failed (${e.message})`);
          if (outcome) log.info(`controlled shutdown ${outcome} in ${Date.now() - t0} ms`);
          await server.close();
          fetchWaiter.close();
          await fetchers.stop();
          await loader.stop();
          stopExpiry();
          stopGroupCoordinator(services);
          replicas.stop();
          await replicas.checkpointHighWatermarks();
          controller.close();
          metadataChannel.close();
          await closeLogManager(logManager);
          await app?.close();
          log.info('stopped');
        })();
      }
      return closing;
    },
  };
}

async function openLogManager(
  config: KafkaConfig,
  log: ReturnType<typeof createLogger>,
  logConfigFor: (topic: string) => Partial<storage.LogConfig>,
): Promise<storage.LogManager> {
  const lm = new storage.LogManager({
    logDirs: config.logDirs(),
    defaults: storage.brokerLogDefaults(configSource(config)),
    topicConfigs: logConfigFor,
    retentionCheckIntervalMs: config.getLong('log.retention.check.interval.ms'),
    // log.cleaner.enable=false: the cleaner pass effectively never runs (setInterval's ceiling is 2^31-1 ms).
    cleanerBackoffMs: config.getBoolean('log.cleaner.enable') ? Math.max(config.getLong('log.cleaner.backoff.ms'), 10) : 2_147_483_647,
    checkpointIntervalMs: optionalLong(config, 'log.flush.offset.checkpoint.interval.ms') ?? undefined,
    recoveryConcurrency: optionalLong(config, 'num.recovery.threads.per.data.dir') ?? undefined,
    // The controller's metadata log may live in the same directory (combined mode); it is not ours.
    exclude: ['__cluster_metadata'],
    logger: { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m) },
  });
  await lm.open();
  lm.startBackgroundTasks();
  return lm;
}

/** A numeric config if this config set defines and sets it, else null. */
function optionalLong(config: KafkaConfig, key: string): number | null {
  if (!config.definition(key) || !config.has(key)) return null;
  const v = config.getLong(key);
  return v > 0 ? v : null;
}

async function closeLogManager(lm: storage.LogManager): Promise<void> {
  try {
    await lm.close();
  } catch {
    /* already closed */
  }
}

/** Broker properties as text (what storage's brokerLogDefaults reads), including derived values. */
function configSource(config: KafkaConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of config.entries()) if (e.text !== null && e.text !== undefined) out[e.name] = e.text;
  out['log.retention.ms'] = String(config.logRetentionMs());
  out['log.roll.ms'] = String(config.logRollMs());
  return out;
}

/** The cluster id from the controller (DescribeCluster), if it serves it. */
async function fetchClusterId(controller: ControllerChannel): Promise<string | null> {
  try {
    const v = await controller.commonVersion(ApiKey.DescribeCluster, 1);
    if (v < 0) return null;
    const res = await controller.send<any>(ApiKey.DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    return res.errorCode === 0 && res.clusterId ? String(res.clusterId) : null;
  } catch {
    return null;
  }
}

async function runCleanup(steps: Array<() => Promise<void> | void>, log: ReturnType<typeof createLogger>): Promise<void> {
  for (const s of steps) {
    try {
      await s();
    } catch (err) {
      log.warn(`cleanup step failed: ${(err as Error).message}`);
    }
  }
}
