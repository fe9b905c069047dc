// Hands out producer ids for InitProducerId. Ids come in blocks from the controller (AllocateProducerIds, as in
// KRaft), so they are unique across brokers and restarts. If the controller does not serve that API, blocks are
// reserved in a file under the first log dir instead (written before any id of the block is used).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ApiKey } from '@runnel/protocol';
import type { ControllerChannel } from '../controller/controller-channel';
import type { Logger } from '../util/logger';

const LOCAL_BLOCK = 1000;

export interface ProducerIdManagerOptions {
  readonly controller: ControllerChannel;
  readonly nodeId: number;
  readonly brokerEpoch: () => number;
  readonly logDir: string;
  readonly log: Logger;
}

export class ProducerIdManager {
  private next = 0;
  private end = 0; // exclusive
  private refilling: Promise<void> | null = null;

  constructor(private readonly opts: ProducerIdManagerOptions) {}

  async nextId(): Promise<number> {
    while (this.next >= this.end) {
      if (!this.refilling) this.refilling = this.refill().finally(() => (this.refilling = null));
      await this.refilling;
    }
    return this.next++;
  }

  private async refill(): Promise<void> {
    try {
      const v = await this.opts.controller.commonVersion(ApiKey.AllocateProducerIds, 0);
      if (v >= 0) {
        const res = await this.opts.controller.send<any>(ApiKey.AllocateProducerIds, v, {
          brokerId: this.opts.nodeId,
          brokerEpoch: BigInt(this.opts.brokerEpoch()),
        });
        if (res.errorCode === 0 && res.producerIdLen > 0) {
          this.next = Number(res.producerIdStart);
          this.end = this.next + res.producerIdLen;
          return;
        }
        this.opts.log.warn(`AllocateProducerIds failed with error ${res.errorCode}; using a local block`);
      }
    } catch (err) {
      this.opts.log.warn(`AllocateProducerIds unavailable (${(err as Error).message}); using a local block`);
    }
    await this.refillLocal();
  }

  /** Local fallback: a file holding the next free id; ids from several nodes are kept apart by node id. */
  private async refillLocal(): Promise<void> {
    const file = path.join(this.opts.logDir, 'producer-id-block');
    let start = 0;
    try {
      start = Number((await fs.readFile(file, 'utf8')).trim()) || 0;
    } catch {
      /* first use */
    }
    // Put each node's local ids in its own range far above the controller's blocks.
    const base = 2 ** 40 + this.opts.nodeId * 2 ** 32;
    if (start < base) start = base;
    const end = start + LOCAL_BLOCK;
    await fs.mkdir(this.opts.logDir, { recursive: true });
    const tmp = `${file}.tmp`;
    await fs.writeFile(tmp, String(end));
    await fs.rename(tmp, file);
    this.next = start;
    this.end = end;
  }
}
