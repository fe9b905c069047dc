import { all, atLeast, between, ConfigDef, listOf, LONG_MAX, nonEmptyList, oneOf, oneOfIgnoreCase, parsedBy } from './def';
import { DEFAULT_SECURITY_PROTOCOL_MAP, parseHostPorts, parseListeners, parseQuorumVoters, parseSecurityProtocolMap } from './listeners';

const COMPRESSION_TYPES = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];

// Per key only the syntax: a custom listener name is resolved against listener.security.protocol.map at startup
// (validateServerConfig), when every key is known.
const listenersValidator = parsedBy('NAME://host:port,...', (t) => parseListeners(t, { syntaxOnly: true }));

function d(name: string, type: ConfigDef['type'], def: ConfigDef['default'], doc: string, extra: Partial<ConfigDef> = {}): ConfigDef {
  return { name, type, default: def, doc, importance: 'medium', ...extra };
}

/**
 * The server keys of a Runnel node (broker, controller or both), with Kafka's names, defaults and
 * validation. Defaults that differ from Kafka make `npm start` a working single-node cluster:
 * process.roles=broker,controller, node.id=1, listeners on 127.0.0.1:9092/9093, data under ./data.
 */
export const BROKER_CONFIG_DEFS: ConfigDef[] = [
  // ---- identity and roles ----
  d('node.id', 'int', '1', 'The node id of this server (broker and/or controller); unique in the cluster.', { validator: atLeast(0), importance: 'high', readOnly: true }),
  d('broker.id', 'int', null, 'Legacy alias of node.id; when set it must equal node.id.', { validator: atLeast(0), readOnly: true }),
  d('process.roles', 'list', 'broker,controller', 'The roles this process plays: broker, controller, or both.', { validator: all(nonEmptyList, listOf('broker', 'controller')), importance: 'high', readOnly: true }),
  d('broker.rack', 'string', null, 'Rack of the broker, used for rack-aware replica placement.', { readOnly: true }),
  d('cluster.id', 'string', null, 'Cluster id to format new storage with (Kafka sets it with kafka-storage format); generated when absent.', { readOnly: true }),

  // ---- listeners ----
  d('listeners', 'string', 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093', 'Comma-separated NAME://host:port listeners to bind. An empty host binds all interfaces.', { validator: listenersValidator, importance: 'high', readOnly: true }),
  d('advertised.listeners', 'string', null, 'Listeners published to clients in Metadata, when they differ from listeners (controller listeners are never advertised).', { validator: listenersValidator, importance: 'high', readOnly: true }),
  d('listener.security.protocol.map', 'string', DEFAULT_SECURITY_PROTOCOL_MAP, 'Map from listener name to security protocol.', { validator: parsedBy('NAME:PROTOCOL,...', (t) => parseSecurityProtocolMap(t)), readOnly: true }),
  d('inter.broker.listener.name', 'string', null, 'Listener brokers use to talk to each other; defaults to the first non-controller listener.', { readOnly: true }),
  d('controller.listener.names', 'list', 'CONTROLLER', 'Names of the listeners used by the controller.', { readOnly: true }),
  d('controller.quorum.voters', 'list', null, 'The controller quorum as id@host:port,...; when absent on a combined node, this node\'s controller listener is the only voter.', { validator: parsedBy('{id}@{host}:{port},...', (t) => parseQuorumVoters(t)), importance: 'high', readOnly: true }),
  d('controller.quorum.bootstrap.servers', 'list', '', 'host:port of controllers to bootstrap the quorum connection from.', { validator: parsedBy('host:port,...', (t) => parseHostPorts(t, 'controller.quorum.bootstrap.servers')), readOnly: true }),
  d('controller.quorum.election.timeout.ms', 'int', '1000', 'Maximum time without a leader before an election starts.', { validator: atLeast(0) }),
  d('controller.quorum.fetch.timeout.ms', 'int', '2000', 'Maximum time without a successful fetch from the leader before a voter becomes a candidate.', { validator: atLeast(0) }),
  d('controller.quorum.election.backoff.max.ms', 'int', '1000', 'Maximum backoff before starting a new election.', { validator: atLeast(0) }),
  d('controller.quorum.request.timeout.ms', 'int', '2000', 'Request timeout between quorum members.', { validator: atLeast(0) }),
  d('controller.quorum.append.linger.ms', 'int', '25', 'How long the leader waits to batch metadata writes.', { validator: atLeast(0) }),
  d('controller.socket.timeout.ms', 'int', '30000', 'Timeout of broker-to-controller requests.', { validator: atLeast(0) }),

  // ---- broker lifecycle (KRaft) ----
  d('broker.heartbeat.interval.ms', 'int', '2000', 'Milliseconds between broker heartbeats to the controller.', { validator: atLeast(1) }),
  d('broker.session.timeout.ms', 'int', '9000', 'A broker whose heartbeats stop for this long is fenced by the controller.', { validator: atLeast(1) }),
  d('initial.broker.registration.timeout.ms', 'int', '60000', 'How long a broker waits to register with the controller before giving up at startup.', { validator: atLeast(1) }),

  // ---- log directories and metadata log ----
  d('log.dir', 'string', './data', 'Directory of the log data (used when log.dirs is not set).', { readOnly: true }),
  d('log.dirs', 'list', null, 'Comma-separated directories of the log data; overrides log.dir.', { validator: nonEmptyList, importance: 'high', readOnly: true }),
  d('metadata.log.dir', 'string', null, 'Directory of the cluster metadata log; defaults to the first log directory.', { readOnly: true }),
  d('metadata.log.segment.bytes', 'int', '1073741824', 'Segment size of the metadata log.', { validator: atLeast(12) }),
  d('metadata.log.segment.ms', 'long', '604800000', 'Maximum time before a new metadata log segment is rolled.', { validator: atLeast(1) }),
  d('metadata.max.retention.bytes', 'long', '104857600', 'Maximum size of metadata log and snapshots before old snapshots are deleted.', {}),
  d('metadata.max.retention.ms', 'long', '604800000', 'Maximum age of metadata snapshots and log segments kept.', {}),
  d('metadata.log.max.record.bytes.between.snapshots', 'long', '20971520', 'Committed metadata record bytes after which a controller writes a new metadata snapshot.', { validator: atLeast(1) }),
  d('metadata.log.max.snapshot.interval.ms', 'long', '3600000', 'Longest time before a controller snapshots newly committed metadata records (0 disables the time trigger).', { validator: atLeast(0) }),
  d('metadata.max.idle.interval.ms', 'int', '500', 'How often the active controller appends a no-op record when idle.', { validator: atLeast(0) }),
  d('num.recovery.threads.per.data.dir', 'int', '2', 'Threads per data directory for log recovery at startup.', { validator: atLeast(1) }),

  // ---- topic defaults ----
  d('num.partitions', 'int', '1', 'Default number of partitions of new topics.', { validator: atLeast(1), importance: 'high' }),
  d('default.replication.factor', 'short', '1', 'Default replication factor of new topics.', { validator: atLeast(1), importance: 'high' }),
  d('min.insync.replicas', 'int', '1', 'Minimum in-sync replicas for acks=all produce to succeed.', { validator: atLeast(1), importance: 'high' }),
  d('auto.create.topics.enable', 'boolean', 'true', 'Create a topic when a client asks for its metadata (and allows auto-creation).', { importance: 'high' }),
  d('delete.topic.enable', 'boolean', 'true', 'Allow deleting topics.', {}),
  d('unclean.leader.election.enable', 'boolean', 'false', 'Allow replicas outside the ISR to become leader (may lose data).', {}),
  d('auto.leader.rebalance.enable', 'boolean', 'true', 'Move leadership back to preferred replicas periodically.', {}),
  d('leader.imbalance.check.interval.seconds', 'long', '300', 'How often the controller checks for leader imbalance.', { validator: atLeast(1) }),
  d('leader.imbalance.per.broker.percentage', 'int', '10', 'Share of a broker\'s preferred partitions (percent) that may be led elsewhere before the controller rebalances them.', { validator: between(0, 100) }),

  // ---- log (topic-level defaults) ----
  d('log.segment.bytes', 'int', '1073741824', 'Maximum size of a single log segment file.', { validator: atLeast(14), importance: 'high' }),
  d('log.roll.ms', 'long', null, 'Maximum time before a new segment is rolled; overrides log.roll.hours.', { validator: atLeast(1) }),
  d('log.roll.hours', 'int', '168', 'Maximum time before a new segment is rolled, in hours.', { validator: atLeast(1) }),
  d('log.roll.jitter.ms', 'long', null, 'Maximum jitter subtracted from segment roll time; overrides log.roll.jitter.hours.', { validator: atLeast(0) }),
  d('log.roll.jitter.hours', 'int', '0', 'Maximum jitter subtracted from segment roll time, in hours.', { validator: atLeast(0) }),
  d('log.retention.ms', 'long', null, 'How long to keep a log segment before deleting it; -1 = forever. Overrides minutes and hours.', { validator: atLeast(-1), importance: 'high' }),
  d('log.retention.minutes', 'int', null, 'Retention in minutes; overrides log.retention.hours.', { validator: atLeast(-1) }),
  d('log.retention.hours', 'int', '168', 'Retention in hours.', { validator: atLeast(-1), importance: 'high' }),
  d('log.retention.bytes', 'long', '-1', 'Maximum size of a partition log before old segments are deleted; -1 = unlimited.', { importance: 'high' }),
  d('log.retention.check.interval.ms', 'long', '300000', 'How often retention is checked.', { validator: atLeast(1) }),
  d('log.cleanup.policy', 'list', 'delete', 'Default cleanup policy: delete and/or compact.', { validator: listOf('delete', 'compact') }),
  d('log.cleaner.enable', 'boolean', 'true', 'Run the log cleaner (compaction).', {}),
  d('log.cleaner.threads', 'int', '1', 'Number of log cleaner threads.', { validator: atLeast(0) }),
  d('log.cleaner.backoff.ms', 'long', '15000', 'Sleep when there is nothing to clean.', { validator: atLeast(0) }),
  d('log.cleaner.delete.retention.ms', 'long', '86400000', 'How long delete tombstones are kept in compacted topics.', { validator: atLeast(0) }),
  d('log.cleaner.min.compaction.lag.ms', 'long', '0', 'Minimum time a message stays uncompacted.', { validator: atLeast(0) }),
  d('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Maximum time a message stays ineligible for compaction.', { validator: atLeast(1) }),
  d('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'Minimum dirty ratio of a log before it is compacted.', { validator: between(0, 1) }),
  d('log.flush.interval.messages', 'long', LONG_MAX, 'Messages accumulated on a partition before they are fsynced.', { validator: atLeast(1) }),
  d('log.flush.interval.ms', 'long', null, 'Maximum time data stays unflushed; defaults to log.flush.scheduler.interval.ms.', { validator: atLeast(0) }),
  d('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks for logs to flush.', { validator: atLeast(0) }),
  d('log.index.interval.bytes', 'int', '4096', 'Bytes between offset index entries.', { validator: atLeast(0) }),
  d('log.index.size.max.bytes', 'int', '10485760', 'Maximum size of an offset index file.', { validator: atLeast(4) }),
  d('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime or LogAppendTime.', { validator: oneOf('CreateTime', 'LogAppendTime') }),
  d('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'Maximum allowed amount a record timestamp may lie in the past.', { validator: atLeast(0) }),
  d('log.message.timestamp.after.max.ms', 'long', '3600000', 'Maximum allowed amount a record timestamp may lie in the future.', { validator: atLeast(0) }),
  d('log.preallocate', 'boolean', 'false', 'Preallocate segment files.', {}),
  d('log.segment.delete.delay.ms', 'long', '60000', 'Delay before a deleted segment file is removed from disk.', { validator: atLeast(0) }),
  d('log.local.retention.ms', 'long', '-2', 'Local retention with tiered storage (-2 = use log.retention.ms).', { validator: atLeast(-2) }),
  d('log.local.retention.bytes', 'long', '-2', 'Local retention bytes with tiered storage (-2 = use log.retention.bytes).', { validator: atLeast(-2) }),
  d('compression.type', 'string', 'producer', 'Final compression of stored batches; producer keeps what the producer sent.', { validator: oneOfIgnoreCase(...COMPRESSION_TYPES) }),
  d('compression.gzip.level', 'int', '-1', 'Gzip level when the broker compresses (-1 = default).', { validator: all(between(-1, 9)) }),
  d('compression.lz4.level', 'int', '9', 'LZ4 level when the broker compresses.', { validator: between(1, 17) }),
  d('compression.zstd.level', 'int', '3', 'Zstd level when the broker compresses.', { validator: between(-131072, 22) }),

  // ---- requests and network ----
  d('message.max.bytes', 'int', '1048588', 'Largest record batch size the broker accepts (after compression).', { validator: atLeast(0), importance: 'high' }),
  d('socket.request.max.bytes', 'int', '104857600', 'Largest request frame accepted; checked before the frame is read.', { validator: atLeast(1), importance: 'high' }),
  d('socket.send.buffer.bytes', 'int', '102400', 'SO_SNDBUF of sockets; -1 = OS default.', {}),
  d('socket.receive.buffer.bytes', 'int', '102400', 'SO_RCVBUF of sockets; -1 = OS default.', {}),
  d('connections.max.idle.ms', 'long', '600000', 'Idle connections are closed after this many milliseconds.', { validator: atLeast(0) }),
  d('max.connections', 'int', '2147483647', 'Maximum number of client connections.', { validator: atLeast(0) }),
  d('max.connections.per.ip', 'int', '2147483647', 'Maximum connections from one IP address.', { validator: atLeast(0) }),
  d('queued.max.requests', 'int', '500', 'Requests read from a connection and not yet answered before reading pauses.', { validator: atLeast(1) }),
  d('queued.max.request.bytes', 'long', '-1', 'Bytes of queued requests before reading pauses; -1 = no limit.', {}),
  d('num.network.threads', 'int', '3', 'Accepted for compatibility; Runnel serves the network on one event loop.', { validator: atLeast(1) }),
  d('num.io.threads', 'int', '8', 'Accepted for compatibility.', { validator: atLeast(1) }),
  d('request.timeout.ms', 'int', '30000', 'Timeout of requests this node sends.', { validator: atLeast(0) }),
  d('fetch.max.bytes', 'int', '57671680', 'Maximum bytes returned by one Fetch.', { validator: atLeast(1024) }),
  d('max.incremental.fetch.session.cache.slots', 'int', '1000', 'Maximum number of incremental fetch sessions.', { validator: atLeast(0) }),

  // ---- replication ----
  d('replica.fetch.max.bytes', 'int', '1048576', 'Bytes per partition a follower fetches.', { validator: atLeast(0) }),
  d('replica.fetch.response.max.bytes', 'int', '10485760', 'Bytes per follower fetch response.', { validator: atLeast(0) }),
  d('replica.fetch.wait.max.ms', 'int', '500', 'Maximum wait of a follower fetch.', { validator: atLeast(0) }),
  d('replica.fetch.min.bytes', 'int', '1', 'Minimum bytes of a follower fetch.', { validator: atLeast(0) }),
  d('replica.fetch.backoff.ms', 'int', '1000', 'Sleep after a follower fetch error.', { validator: atLeast(0) }),
  d('replica.lag.time.max.ms', 'long', '30000', 'A follower behind for this long drops out of the ISR.', { validator: atLeast(0) }),
  d('num.replica.fetchers', 'int', '1', 'Fetcher count per source broker.', { validator: atLeast(1) }),
  d('replica.socket.timeout.ms', 'int', '30000', 'Request timeout of follower fetches to leaders.', { validator: atLeast(0) }),
  d('replica.high.watermark.checkpoint.interval.ms', 'long', '5000', 'How often the high watermark is checkpointed.', { validator: atLeast(0) }),

  // ---- groups, offsets, transactions ----
  d('offsets.topic.num.partitions', 'int', '50', 'Partitions of __consumer_offsets.', { validator: atLeast(1) }),
  d('offsets.topic.replication.factor', 'short', '3', 'Replication factor of __consumer_offsets (capped at the registered brokers; not created while fewer are up).', { validator: atLeast(1) }),
  d('offsets.topic.segment.bytes', 'int', '104857600', 'Segment size of __consumer_offsets.', { validator: atLeast(1) }),
  d('offsets.topic.compression.codec', 'int', '0', 'Compression codec of __consumer_offsets.', { validator: between(0, 4) }),
  d('offsets.retention.minutes', 'int', '10080', 'Committed offsets of empty groups expire after this many minutes.', { validator: atLeast(1) }),
  d('offsets.retention.check.interval.ms', 'long', '600000', 'How often stale offsets are checked.', { validator: atLeast(1) }),
  d('offsets.commit.timeout.ms', 'int', '5000', 'Timeout of an offset commit write.', { validator: atLeast(1) }),
  d('offsets.load.buffer.size', 'int', '5242880', 'Batch size when loading offsets.', { validator: atLeast(1) }),
  d('group.initial.rebalance.delay.ms', 'int', '3000', 'Delay of the first rebalance of a new group.', { validator: atLeast(0) }),
  d('group.min.session.timeout.ms', 'int', '6000', 'Minimum allowed session timeout of group members.', { validator: atLeast(0) }),
  d('group.max.session.timeout.ms', 'int', '1800000', 'Maximum allowed session timeout of group members.', { validator: atLeast(0) }),
  d('group.max.size', 'int', '2147483647', 'Maximum members of one group.', { validator: atLeast(1) }),
  d('offset.metadata.max.bytes', 'int', '4096', 'Maximum size of the metadata string of an offset commit.', { validator: atLeast(0) }),
  d('transaction.state.log.num.partitions', 'int', '50', 'Partitions of __transaction_state.', { validator: atLeast(1) }),
  d('transaction.state.log.replication.factor', 'short', '1', 'Replication factor of __transaction_state (Kafka defaults to 3).', { validator: atLeast(1) }),
  d('transaction.state.log.min.isr', 'int', '1', 'min.insync.replicas of __transaction_state.', { validator: atLeast(1) }),
  d('transaction.state.log.segment.bytes', 'int', '104857600', 'Segment size of __transaction_state.', { validator: atLeast(1) }),
  d('transaction.max.timeout.ms', 'int', '900000', 'Maximum transaction timeout a producer may request.', { validator: atLeast(1) }),
  d('transactional.id.expiration.ms', 'int', '604800000', 'Idle transactional ids expire after this time.', { validator: atLeast(1) }),
  d('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', 'How often timed-out transactions are aborted.', { validator: atLeast(1) }),
  d('producer.id.expiration.ms', 'int', '86400000', 'Idempotent producer state expires after this time without writes.', { validator: atLeast(1) }),

  // ---- Runnel: HTTP metrics and health ----
  d('metrics.host', 'string', '127.0.0.1', 'Host of the HTTP server for /metrics and /health (Runnel).', { readOnly: true }),
  d('metrics.port', 'int', '9404', 'Port of the broker\'s HTTP /metrics and /health; 0 = any free port, -1 = disabled (Runnel).', { validator: between(-1, 65535), readOnly: true }),
  d('controller.metrics.port', 'int', '9405', 'Port of the controller\'s HTTP /metrics and /health; 0 = any free port, -1 = disabled (Runnel).', { validator: between(-1, 65535), readOnly: true }),
  d('metrics.group.partition.level', 'boolean', 'false', 'Emit per-group, per-partition committed offset and lag series (runnel_broker_group_committed_offset / _lag); off by default to bound cardinality (Runnel).', {}),
  d('metrics.partition.level', 'boolean', 'false', 'Emit per-partition series (log size, offsets); off by default to bound cardinality (Runnel).', {}),
  d('shutdown.timeout.ms', 'int', '30000', 'Longest a graceful shutdown may take before the process exits anyway (Runnel).', { validator: atLeast(0) }),
];

export { COMPRESSION_TYPES };
