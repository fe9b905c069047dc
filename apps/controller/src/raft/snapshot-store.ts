import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MetadataRecord,
  SNAPSHOT_SUFFIX,
  SnapshotCorruptError,
  SnapshotId,
  compareSnapshotIds,
  encodeSnapshot,
  parseSnapshot,
  parseSnapshotFileName,
  snapshotFileName,
} from '@runnel/metadata';
import { ControllerLogger, createLogger } from '../util/logger';

export interface StoredSnapshot {
  id: SnapshotId;
  file: string;
  size: number;
  /** When the file was written (its mtime): the age retention looks at. */
  createdMs: number;
}

const PART_SUFFIX = '.part';
const CORRUPT_SUFFIX = '.corrupt';

/**
 * The `<end offset>-<epoch>.checkpoint` files next to the metadata log segments. Files are written whole
 * (temp file, fsync, rename, fsync of the directory), so a crash leaves either the complete snapshot or a
 * `.part` file that the next open removes.
 */
export class SnapshotStore {
  private snapshots: StoredSnapshot[] = [];
  private readonly logger: ControllerLogger;

  constructor(readonly dir: string, logger?: ControllerLogger) {
    this.logger = logger ?? createLogger('snapshot');
    fs.mkdirSync(dir, { recursive: true });
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith(SNAPSHOT_SUFFIX + PART_SUFFIX)) {
        fs.rmSync(path.join(dir, name), { force: true });
        continue;
      }
      const id = parseSnapshotFileName(name);
      if (!id) continue;
      const st = fs.statSync(path.join(dir, name));
      this.snapshots.push({ id, file: path.join(dir, name), size: st.size, createdMs: st.mtimeMs });
    }
    this.sort();
  }

  private sort(): void {
    this.snapshots.sort((a, b) => compareSnapshotIds(a.id, b.id));
  }

  /** Oldest first. */
  list(): readonly StoredSnapshot[] {
    return this.snapshots;
  }

  latest(): StoredSnapshot | null {
    return this.snapshots[this.snapshots.length - 1] ?? null;
  }

  get(id: SnapshotId): StoredSnapshot | null {
    return this.snapshots.find((s) => s.id.endOffset === id.endOffset && s.id.epoch === id.epoch) ?? null;
  }

  /** The snapshot ending exactly at `endOffset`, if any. */
  atOffset(endOffset: number): StoredSnapshot | null {
    return this.snapshots.find((s) => s.id.endOffset === endOffset) ?? null;
  }

  /** Encodes and writes a snapshot of `records` (the image at endOffset - 1). Returns its size. */
  async write(id: SnapshotId, records: MetadataRecord[], lastContainedLogTimestamp: number): Promise<StoredSnapshot> {
    return this.writeBytes(id, encodeSnapshot(id, records, lastContainedLogTimestamp));
  }

  /** Writes snapshot bytes (encoded here or downloaded with FetchSnapshot) atomically. */
  async writeBytes(id: SnapshotId, bytes: Buffer): Promise<StoredSnapshot> {
    const existing = this.get(id);
    if (existing) return existing;
    const file = path.join(this.dir, snapshotFileName(id));
    const tmp = file + PART_SUFFIX;
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
    fsyncDir(this.dir);
    const snap: StoredSnapshot = { id, file, size: bytes.length, createdMs: Date.now() };
    this.snapshots = this.snapshots.filter((s) => compareSnapshotIds(s.id, id) !== 0);
    this.snapshots.push(snap);
    this.sort();
    return snap;
  }

  /** Up to `maxBytes` of a snapshot from byte `position`; null when the snapshot is gone. */
  async readChunk(id: SnapshotId, position: number, maxBytes: number): Promise<Buffer | null> {
    const snap = this.get(id);
    if (!snap) return null;
    const len = Math.max(0, Math.min(maxBytes, snap.size - position));
    let fh: fs.promises.FileHandle;
    try {
      fh = await fs.promises.open(snap.file, 'r');
    } catch {
      return null; // deleted by retention meanwhile
    }
    try {
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, position);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Reads and validates one snapshot; a damaged one is renamed `.corrupt` and forgotten. */
  async load(snap: StoredSnapshot): Promise<MetadataRecord[] | null> {
    try {
      return parseSnapshot(await fs.promises.readFile(snap.file)).records;
    } catch (e) {
      if (!(e instanceof SnapshotCorruptError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      this.logger.warn(`snapshot ${path.basename(snap.file)} is unusable (${(e as Error).message}): skipping it`);
      await fs.promises.rename(snap.file, snap.file + CORRUPT_SUFFIX).catch(() => undefined);
      this.snapshots = this.snapshots.filter((s) => s !== snap);
      return null;
    }
  }

  /** The newest snapshot that validates (older ones are tried when a newer one is torn or corrupt). */
  async loadLatestValid(): Promise<{ snapshot: StoredSnapshot; records: MetadataRecord[] } | null> {
    for (const snap of [...this.snapshots].reverse()) {
      const records = await this.load(snap);
      if (records) return { snapshot: snap, records };
    }
    return null;
  }

  /** Deletes all but the newest `keep` snapshots. Returns how many were deleted. */
  retain(keep: number): number {
    const drop = this.snapshots.slice(0, Math.max(0, this.snapshots.length - keep));
    for (const s of drop) fs.rmSync(s.file, { force: true });
    this.snapshots = this.snapshots.slice(drop.length);
    return drop.length;
  }

  /** Bytes of all retained snapshots. */
  totalBytes(): number {
    return this.snapshots.reduce((n, s) => n + s.size, 0);
  }
}

function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
