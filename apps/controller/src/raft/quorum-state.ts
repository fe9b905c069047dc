import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The persisted Raft election state, in the JSON shape of Kafka's `quorum-state` file
 * (QuorumStateData v0 plus `data_version`), so the same fields survive a restart:
 * the epoch, who we voted for in it, and the leader we know of.
 */
export interface QuorumStateData {
  clusterId: string;
  leaderId: number;
  leaderEpoch: number;
  votedId: number;
  appliedOffset: number;
  currentVoters: { voterId: number }[] | null;
  data_version: number;
}

export const QUORUM_STATE_FILE = 'quorum-state';

export function emptyQuorumState(voters: number[]): QuorumStateData {
  return {
    clusterId: '',
    leaderId: -1,
    leaderEpoch: 0,
    votedId: -1,
    appliedOffset: 0,
    currentVoters: voters.map((voterId) => ({ voterId })),
    data_version: 0,
  };
}

/** Reads and atomically rewrites the quorum-state file (write temp, fsync, rename, fsync dir). */
export class QuorumStateStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, QUORUM_STATE_FILE);
  }

  /** Returns null when there is no state yet; throws on a corrupt file (never guess an epoch). */
  read(): QuorumStateData | null {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    const parsed = JSON.parse(text);
    const int = (v: unknown, name: string): number => {
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`corrupt ${this.file}: ${name} is not an integer`);
      return v;
    };
    return {
      clusterId: typeof parsed.clusterId === 'string' ? parsed.clusterId : '',
      leaderId: int(parsed.leaderId, 'leaderId'),
      leaderEpoch: int(parsed.leaderEpoch, 'leaderEpoch'),
      votedId: int(parsed.votedId, 'votedId'),
      appliedOffset: typeof parsed.appliedOffset === 'number' ? parsed.appliedOffset : 0,
      currentVoters: Array.isArray(parsed.currentVoters)
        ? parsed.currentVoters.map((v: any) => ({ voterId: int(v?.voterId, 'voterId') }))
        : null,
      data_version: typeof parsed.data_version === 'number' ? parsed.data_version : 0,
    };
  }

  write(state: QuorumStateData): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(state));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    // Make the rename itself durable.
    try {
      const dfd = fs.openSync(path.dirname(this.file), 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      // Some filesystems refuse fsync on directories; the rename is still atomic.
    }
  }
}
