// The broker's Prometheus metrics (runnel_broker_*), kept apart from the logic: handlers and the server call
// these small methods, the registry comes from @runnel/metrics.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface BrokerGaugeSource {
  /** Fetch requests parked in a long poll. */
  parkedFetches(): number;
  /** Idempotent producers with state on this broker (all partitions). */
  producers(): number;
  /** Replication state of the partitions this broker leads, and how far its followed partitions lag. */
  replication?(): { underReplicated: number; underMinIsr: number; maxFollowerLag: number; followerMaxLag: number };
}

export interface PartitionGaugeSource {
  /** Local partitions with their sizes and offsets (read at scrape time). */
  partitions(): Iterable<{ topic: string; partition: number; leader: boolean; size: number; start: number; end: number }>;
}

export class BrokerMetrics {
  readonly requests: Counter<'request' | 'version'>;
  readonly requestErrors: Counter<'request' | 'error'>;
  readonly requestDuration: Histogram<'request'>;
  readonly requestBytes: Counter<'request'>;
  readonly responseBytes: Counter<'request'>;
  readonly connections: Gauge<'listener'>;
  readonly connectionsCreated: Counter<'listener'>;
  readonly connectionsClosed: Counter<'listener' | 'reason'>;
  readonly messagesIn: Counter<'topic'>;
  readonly bytesIn: Counter<'topic'>;
  readonly bytesOut: Counter<'topic'>;
  readonly produceRequests: Counter<'topic' | 'result'>;
  readonly fetchRequests: Counter<'topic' | 'result'>;
  readonly replicationBytesIn: Counter<'topic'>;
  readonly replicationBytesOut: Counter<'topic'>;
  readonly isrShrinks: Counter;
  readonly isrExpands: Counter;
  private source: PartitionGaugeSource | null = null;
  private gauges: BrokerGaugeSource | null = null;

  constructor(
    readonly registry: Registry,
    private readonly partitionLevel = false,
  ) {
    const r = [registry];
    this.requests = new Counter({ name: 'runnel_broker_requests_total', help: 'Requests received, by API and version', labelNames: ['request', 'version'], registers: r });
    this.requestErrors = new Counter({
      name: 'runnel_broker_request_errors_total',
      help: 'Error codes returned, by API and Kafka error name (one per partition/topic error)',
      labelNames: ['request', 'error'],
      registers: r,
    });
    this.requestDuration = new Histogram({
      name: 'runnel_broker_request_duration_seconds',
      help: 'Time from a request being decoded to its response being queued (includes Fetch long-poll waits)',
      labelNames: ['request'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.requestBytes = new Counter({ name: 'runnel_broker_request_bytes_total', help: 'Request bytes received (frames incl. size prefix)', labelNames: ['request'], registers: r });
    this.responseBytes = new Counter({ name: 'runnel_broker_response_bytes_total', help: 'Response bytes sent', labelNames: ['request'], registers: r });
    this.connections = new Gauge({ name: 'runnel_broker_connections', help: 'Open client connections', labelNames: ['listener'], registers: r });
    this.connectionsCreated = new Counter({ name: 'runnel_broker_connections_created_total', help: 'Client connections accepted', labelNames: ['listener'], registers: r });
    this.connectionsClosed = new Counter({
      name: 'runnel_broker_connections_closed_total',
      help: 'Client connections closed, by reason',
      labelNames: ['listener', 'reason'],
      registers: r,
    });
    this.messagesIn = new Counter({ name: 'runnel_broker_topic_messages_in_total', help: 'Records appended, by topic', labelNames: ['topic'], registers: r });
    this.bytesIn = new Counter({ name: 'runnel_broker_topic_bytes_in_total', help: 'Record batch bytes appended, by topic', labelNames: ['topic'], registers: r });
    this.bytesOut = new Counter({ name: 'runnel_broker_topic_bytes_out_total', help: 'Record batch bytes served to fetchers, by topic', labelNames: ['topic'], registers: r });
    this.produceRequests = new Counter({
      name: 'runnel_broker_topic_produce_requests_total',
      help: 'Per-partition produce operations, by topic and result (ok or the error name)',
      labelNames: ['topic', 'result'],
      registers: r,
    });
    this.fetchRequests = new Counter({
      name: 'runnel_broker_topic_fetch_requests_total',
      help: 'Per-partition fetch operations, by topic and result (ok or the error name)',
      labelNames: ['topic', 'result'],
      registers: r,
    });

    this.replicationBytesIn = new Counter({
      name: 'runnel_broker_replication_bytes_in_total',
      help: 'Record batch bytes this broker copied from leaders as a follower, by topic',
      labelNames: ['topic'],
      registers: r,
    });
    this.replicationBytesOut = new Counter({
      name: 'runnel_broker_replication_bytes_out_total',
      help: 'Record batch bytes served to follower replicas, by topic',
      labelNames: ['topic'],
      registers: r,
    });
    this.isrShrinks = new Counter({ name: 'runnel_broker_isr_shrinks_total', help: 'ISR shrinks this broker got committed as leader', registers: r });
    this.isrExpands = new Counter({ name: 'runnel_broker_isr_expands_total', help: 'ISR expansions this broker got committed as leader', registers: r });

    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const replicationGauge = (name: string, help: string, pick: (s: ReturnType<NonNullable<BrokerGaugeSource['replication']>>) => number): void => {
      new Gauge({
        name,
        help,
        registers: r,
        collect() {
          const s = self.gauges?.replication?.();
          this.set(s ? pick(s) : 0);
        },
      });
    };
    replicationGauge('runnel_broker_under_replicated_partitions', 'Partitions led here whose ISR is smaller than their replica set', (s) => s.underReplicated);
    replicationGauge('runnel_broker_under_min_isr_partitions', 'Partitions led here whose ISR is below min.insync.replicas (acks=all refused)', (s) => s.underMinIsr);
    replicationGauge('runnel_broker_replica_max_lag_messages', 'Largest offset lag of a follower behind this leader, over the partitions led here', (s) => s.maxFollowerLag);
    replicationGauge(
      'runnel_broker_replica_fetch_max_lag_messages',
      "Largest offset lag of this broker's followed partitions behind their leaders' high watermark",
      (s) => s.followerMaxLag,
    );
    new Gauge({
      name: 'runnel_broker_partitions',
      help: 'Local partition replicas',
      registers: r,
      collect() {
        let n = 0;
        for (const _ of self.source?.partitions() ?? []) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'runnel_broker_leader_partitions',
      help: 'Local partitions this broker leads',
      registers: r,
      collect() {
        let n = 0;
        for (const p of self.source?.partitions() ?? []) if (p.leader) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: 'runnel_broker_fetch_parked',
      help: 'Fetch requests waiting in a long poll for data',
      registers: r,
      collect() {
        this.set(self.gauges?.parkedFetches() ?? 0);
      },
    });
    new Gauge({
      name: 'runnel_broker_idempotent_producers',
      help: 'Idempotent producer states kept (summed over partitions)',
      registers: r,
      collect() {
        this.set(self.gauges?.producers() ?? 0);
      },
    });
    const perPartition = (name: string, help: string, pick: (p: { size: number; start: number; end: number }) => number): void => {
      new Gauge({
        name,
        help,
        labelNames: this.partitionLevel ? ['topic', 'partition'] : ['topic'],
        registers: r,
        collect() {
          this.reset();
          const byTopic = new Map<string, number>();
          for (const p of self.source?.partitions() ?? []) {
            if (self.partitionLevel) this.set({ topic: p.topic, partition: String(p.partition) }, pick(p));
            else byTopic.set(p.topic, (byTopic.get(p.topic) ?? 0) + pick(p));
          }
          for (const [topic, v] of byTopic) this.set({ topic }, v);
        },
      });
    };
    perPartition('runnel_broker_log_size_bytes', 'Bytes on disk per log (summed per topic unless metrics.partition.level=true)', (p) => p.size);
    if (this.partitionLevel) {
      perPartition('runnel_broker_log_start_offset', 'Log start offset per partition', (p) => p.start);
      perPartition('runnel_broker_log_end_offset', 'Log end offset per partition', (p) => p.end);
    }
  }

  setPartitionSource(source: PartitionGaugeSource): void {
    this.source = source;
  }

  setGaugeSource(source: BrokerGaugeSource): void {
    this.gauges = source;
  }
}
