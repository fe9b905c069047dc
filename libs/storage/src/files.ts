// File naming in Kafka's layout and small fs helpers shared by the log, the checkpoints and the cleaner.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Kafka's suffixes for files in transit: being written by the cleaner, ready to swap in, scheduled for deletion. */
export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const DELETED_SUFFIX = '.deleted';
export const DELETE_DIR_SUFFIX = '-delete';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const PARTITION_METADATA = 'partition.metadata';
/** Our own journal for the cleaner's multi-file swap (Kafka infers the same from .swap files). */
export const CLEANER_SWAP_JOURNAL = 'cleaner-swap-journal';

/** 20-digit zero-padded base offset, as Kafka names segment files. */
export function offsetFileName(offset: number): string {
  return String(offset).padStart(20, '0');
}

export function segmentFile(dir: string, baseOffset: number, suffix: string): string {
  return path.join(dir, offsetFileName(baseOffset) + suffix);
}

/** `<topic>-<partition>` */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses `<topic>-<partition>`; null for anything else (including `...-delete`, `...-future`, `...-stray`). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  if (name.endsWith(DELETE_DIR_SUFFIX) || name.endsWith('-future') || name.endsWith('-stray')) return null;
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition) || partition > 2147483647) return null;
  return { topic: m[1], partition };
}

export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export async function fsyncDirAsync(dir: string): Promise<void> {
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(dir, 'r');
    await fh.sync();
  } catch {
    // see fsyncDir
  } finally {
    await fh?.close();
  }
}

/**
 * Writes `content` so that a crash leaves either the old or the new file: temp file, fsync, rename, fsync dir.
 */
export function writeFileAtomicSync(file: string, content: string | Buffer): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export async function writeFileAtomic(file: string, content: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp`;
  const fh = await fs.promises.open(tmp, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.promises.rename(tmp, file);
  await fsyncDirAsync(path.dirname(file));
}

export function unlinkQuiet(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

/** pread until `length` bytes are read or EOF; returns the number of bytes read. */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = 0;
    const step = () => {
      fs.read(fd, buf, offset + done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        done += n;
        if (n === 0 || done >= length) return resolve(done);
        step();
      });
    };
    if (length <= 0) resolve(0);
    else step();
  });
}

export function readFullySync(fd: number, buf: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** pwritev of all buffers at `position`, retrying short writes. */
export function writevFully(fd: number, bufs: Buffer[], position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let list = bufs;
    let pos = position;
    const step = () => {
      fs.writev(fd, list, pos, (err, written) => {
        if (err) return reject(err);
        pos += written;
        list = dropWritten(list, written);
        if (list.length === 0) resolve();
        else step();
      });
    };
    step();
  });
}

export function writevFullySync(fd: number, bufs: Buffer[], position: number): void {
  let list = bufs;
  let pos = position;
  while (list.length > 0) {
    const written = list.length === 1 ? fs.writeSync(fd, list[0], 0, list[0].length, pos) : fs.writevSync(fd, list, pos);
    pos += written;
    list = dropWritten(list, written);
  }
}

function dropWritten(list: Buffer[], written: number): Buffer[] {
  let i = 0;
  while (i < list.length && written >= list[i].length) {
    written -= list[i].length;
    i++;
  }
  if (i >= list.length) return [];
  const rest = list.slice(i);
  if (written > 0) rest[0] = rest[0].subarray(written);
  return rest;
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}
