// Registration with the controller (BrokerRegistration -> broker epoch) and the heartbeat loop that reports the
// broker's metadata offset, gets it unfenced once caught up, and carries the controlled shutdown at the end.
import { randomBytes } from 'node:crypto';
import { ApiKey, ErrorCode } from '@runnel/protocol';
import type { ControllerChannel } from './controller-channel';
import type { Logger } from '../util/logger';

export interface RegistrationListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** Kafka SecurityProtocol id: PLAINTEXT 0, SSL 1, SASL_PLAINTEXT 2, SASL_SSL 3. */
  readonly securityProtocol: number;
}

export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  readonly controller: ControllerChannel;
  readonly listeners: () => readonly RegistrationListener[];
  readonly clusterId: () => string | null;
  readonly rack: string | null;
  readonly heartbeatIntervalMs: number;
  readonly metadataOffset: () => number;
  readonly log: Logger;
}

export const SECURITY_PROTOCOL_IDS: Record<string, number> = { PLAINTEXT: 0, SSL: 1, SASL_PLAINTEXT: 2, SASL_SSL: 3 };

export class BrokerLifecycle {
  private epoch = -1;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private fenced = true;
  private beating: Promise<void> | null = null;
  /** Random per process start, like Kafka's incarnation id. */
  private readonly incarnationId = randomBytes(16).toString('base64url');

  constructor(private readonly opts: BrokerLifecycleOptions) {}

  get brokerEpoch(): number {
    return this.epoch;
  }

  get isFenced(): boolean {
    return this.fenced;
  }

  /** Register, retrying until the controller accepts (or stop() is called). */
  async register(): Promise<number> {
    let backoff = 200;
    while (!this.stopped) {
      try {
        const version = await this.opts.controller.commonVersion(ApiKey.BrokerRegistration, 4);
        if (version < 0) throw new Error('controller does not serve BrokerRegistration');
        const res = await this.opts.controller.send<any>(ApiKey.BrokerRegistration, version, {
          brokerId: this.opts.nodeId,
          clusterId: this.opts.clusterId() ?? '',
          incarnationId: this.incarnationId,
          listeners: this.opts.listeners().map((l) => ({ ...l })),
          features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 25 }],
          rack: this.opts.rack,
          isMigratingZkBroker: false,
          logDirs: [],
          previousBrokerEpoch: BigInt(this.epoch),
        });
        if (res.errorCode === 0) {
          this.epoch = Number(res.brokerEpoch);
          this.opts.log.info(`registered with the controller: broker ${this.opts.nodeId}, epoch ${this.epoch}`);
          return this.epoch;
        }
        this.opts.log.warn(`BrokerRegistration refused: error ${res.errorCode}`);
        if (res.errorCode === ErrorCode.INCONSISTENT_CLUSTER_ID) throw new FatalError('cluster id does not match the controller');
      } catch (err) {
        if (err instanceof FatalError) throw err;
        this.opts.log.warn(`cannot register with the controller yet: ${(err as Error).message}`);
      }
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 2000);
    }
    throw new Error('stopped before registration');
  }

  startHeartbeats(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.beating = this.heartbeat(false)
        .then(() => undefined)
        .catch((err) => this.opts.log.warn(`heartbeat failed: ${(err as Error).message}`))
        .finally(() => {
          this.beating = null;
          if (!this.stopped) this.timer = setTimeout(tick, this.opts.heartbeatIntervalMs);
        });
    };
    tick();
  }

  /** Send one heartbeat now (e.g. right after catching up, to get unfenced sooner). */
  async heartbeatNow(): Promise<void> {
    await this.heartbeat(false).catch(() => undefined);
  }

  private async heartbeat(wantShutDown: boolean): Promise<{ shouldShutDown: boolean }> {
    const version = await this.opts.controller.commonVersion(ApiKey.BrokerHeartbeat, 1);
    const res = await this.opts.controller.send<any>(ApiKey.BrokerHeartbeat, Math.max(version, 0), {
      brokerId: this.opts.nodeId,
      brokerEpoch: BigInt(this.epoch),
      currentMetadataOffset: BigInt(Math.max(this.opts.metadataOffset(), 0)),
      wantFence: false,
      wantShutDown,
      offlineLogDirs: [],
    });
    if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH || res.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      this.opts.log.warn(`controller no longer knows this broker's epoch (error ${res.errorCode}); registering again`);
      if (!wantShutDown) await this.register();
      return { shouldShutDown: wantShutDown };
    }
    if (res.errorCode !== 0) throw new Error(`BrokerHeartbeat error ${res.errorCode}`);
    if (this.fenced !== res.isFenced) this.opts.log.info(res.isFenced ? 'fenced by the controller' : 'unfenced by the controller');
    this.fenced = res.isFenced;
    return { shouldShutDown: res.shouldShutDown };
  }

  /**
   * Controlled shutdown: ask the controller to move leaderships away, for at most timeoutMs. Says how it ended so
   * the log shows whether clients were handed over or will wait for the session timeout.
   */
  async shutdown(timeoutMs = 5000): Promise<'completed' | 'not-registered' | 'controller-unreachable' | 'timed-out'> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.beating) await this.beating;
    if (this.epoch < 0) return 'not-registered';
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      try {
        const r = await this.heartbeat(true);
        if (r.shouldShutDown) return 'completed';
      } catch {
        return 'controller-unreachable';
      }
      await sleep(Math.min(this.opts.heartbeatIntervalMs, 500));
    }
    return 'timed-out';
  }
}

class FatalError extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
