import { Counter, Histogram, Registry } from 'prom-client';
import { MetricsFactory } from '@runnel/metrics';
import { apiName } from '@runnel/protocol';
import type { QuorumController } from '../controller/quorum-controller';
import { preferredReplicaImbalanceCount } from '../controller/leader-balance';
import type { RaftClient } from '../raft/raft-client';

const RAFT_STATES = ['unattached', 'prospective', 'candidate', 'leader', 'follower', 'resigned'] as const;

/** runnel_controller_* metrics; gauges read the live state when scraped. */
export class ControllerMetrics {
  readonly requests: Counter<'api'>;
  readonly requestErrors: Counter<'api'>;
  readonly requestDuration: Histogram<'api'>;
  readonly commitLatency: Histogram;
  readonly raftCommitLatency: Histogram;
  readonly raftElections: Counter;
  readonly raftElectionLatency: Histogram;
  readonly elections: Counter<'type'>;
  private connections = 0;
  private controller: QuorumController | null = null;
  private raft: RaftClient | null = null;

  constructor(readonly registry: Registry) {
    const m = new MetricsFactory(registry, 'controller');
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.requests = m.counter({ name: 'requests_total', help: 'Requests handled on the controller listener, by API', labelNames: ['api'] });
    this.requestErrors = m.counter({ name: 'request_errors_total', help: 'Non-zero error codes in controller responses, by API', labelNames: ['api'] });
    this.requestDuration = m.histogram({ name: 'request_duration_seconds', help: 'Controller request handling time, by API', labelNames: ['api'] });
    this.commitLatency = m.histogram({ name: 'commit_latency_seconds', help: 'Time from appending metadata records to their commit and application' });
    const gauge = (name: string, help: string, read: () => number) =>
      m.gauge({
        name,
        help,
        collect() {
          this.set(read());
        },
      });
    gauge('active_controller', '1 when this node is the active controller', () => (this.controller?.active ? 1 : 0));
    this.raftCommitLatency = m.histogram({
      name: 'raft_commit_latency_seconds',
      help: 'Time from a leader append to the metadata log until a majority of voters has it (high watermark past it)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    m.gauge({
      name: 'raft_state',
      help: 'Raft role of this node: 1 for the current state',
      labelNames: ['state'],
      collect: function (this: any) {
        for (const st of RAFT_STATES) this.set({ state: st }, self.raft?.role === st ? 1 : 0);
      },
    } as any);
    gauge('raft_leader_id', 'Node id of the current Raft leader (-1 unknown)', () => this.raft?.leaderId ?? -1);
    this.raftElections = m.counter({ name: 'raft_elections_total', help: 'Elections this node started as a candidate (each bumps the epoch)' });
    this.raftElectionLatency = m.histogram({
      name: 'raft_election_latency_seconds',
      help: 'Time from this node starting an election (pre-vote or vote) until it knows the new leader (itself or another)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    });
    gauge('raft_voters', 'Voters in controller.quorum.voters', () => this.raft?.voters.length ?? 0);
    gauge('raft_epoch', 'Current Raft epoch of the metadata quorum', () => this.raft?.epoch ?? 0);
    gauge('raft_high_watermark', 'Metadata log high watermark (committed offset, exclusive)', () => this.raft?.highWatermark ?? -1);
    gauge('raft_log_end_offset', 'Metadata log end offset', () => this.raft?.logEndOffset ?? 0);
    gauge('metadata_applied_offset', 'Last metadata offset applied to the controller image', () => this.controller?.image.offset ?? -1);
    gauge('registered_brokers', 'Brokers registered with the controller', () => this.controller?.image.brokers.size ?? 0);
    gauge('fenced_brokers', 'Registered brokers that are fenced', () =>
      this.controller ? [...this.controller.image.brokers.values()].filter((b) => b.fenced).length : 0,
    );
    gauge('topics', 'Topics in the metadata image', () => this.controller?.image.topics.size ?? 0);
    gauge('partitions', 'Partitions in the metadata image', () => this.controller?.image.partitionCount() ?? 0);
    gauge('offline_partitions', 'Partitions without a live leader', () => this.controller?.image.offlinePartitionCount() ?? 0);
    gauge('active_brokers', 'Registered brokers that are not fenced', () => this.controller?.image.activeBrokers().length ?? 0);
    gauge('preferred_replica_imbalance', 'Partitions not led by their preferred (first) replica', () =>
      this.controller ? preferredReplicaImbalanceCount(this.controller.image) : 0,
    );
    this.elections = m.counter({
      name: 'leader_elections_total',
      help: 'Partition leader elections committed by this controller, by type (preferred, unclean, clean after a leader left)',
      labelNames: ['type'],
    });
    for (const type of ['preferred', 'unclean', 'clean']) this.elections.inc({ type }, 0);
    gauge('connections', 'Open connections on the controller listener', () => this.connections);
  }

  /** Raft metrics that need the client before the controller exists (elections happen during start). */
  attachRaft(raft: RaftClient): void {
    this.raft = raft;
    raft.onCommitLatency((s) => this.raftCommitLatency.observe(s));
    let electionStart: number | null = null;
    raft.onRoleChange((role) => {
      if (role === 'candidate') this.raftElections.inc();
      if (role === 'prospective' || role === 'candidate') electionStart ??= Date.now();
      else if ((role === 'leader' || role === 'follower') && electionStart !== null) {
        this.raftElectionLatency.observe((Date.now() - electionStart) / 1000);
        electionStart = null;
      }
    });
  }

  attach(controller: QuorumController, raft: RaftClient): void {
    this.controller = controller;
    this.raft = raft;
  }

  onRequest(apiKey: number, seconds: number, errors: number): void {
    const api = apiName(apiKey) ?? String(apiKey);
    this.requests.inc({ api });
    if (errors > 0) this.requestErrors.inc({ api }, errors);
    this.requestDuration.observe({ api }, seconds);
  }

  onConnection(delta: number): void {
    this.connections += delta;
  }
}
