// Keys and values of the __consumer_offsets topic in Kafka's own binary layout, so Kafka tooling that reads
// the topic (Burrow, kafka-console-consumer's offsets formatter) understands what we write:
//   key   = int16 version + body: version 0/1 -> OffsetCommitKey {group, topic, partition},
//                                 version 2   -> GroupMetadataKey {group}
//   value = int16 version + body: OffsetCommitValue v0-4 / GroupMetadataValue v0-4; null value = tombstone.
// We write what current Kafka writes: OffsetCommitKey v1, OffsetCommitValue v3 (v1 when the commit carries an
// explicit expiry), GroupMetadataValue v3. Every version 0-4 is read back (v4 is the flexible encoding).
import type { CommittedOffset } from './group-metadata';

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** -1 when the record has none (value versions 0-1). */
  currentStateTimestamp: number;
  members: StoredMember[];
}

export type OffsetsKey =
  | { kind: 'offset'; group: string; topic: string; partition: number }
  | { kind: 'group'; group: string };

// ---------------------------------------------------------------------------------------------------------
// Writing

class BinWriter {
  private chunks: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }
  int64(v: bigint | number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.chunks.push(b);
    return this;
  }
  string(s: string): this {
    const body = Buffer.from(s, 'utf8');
    if (body.length > 0x7fff) throw new RangeError('string too long for an int16 length');
    this.int16(body.length);
    this.chunks.push(body);
    return this;
  }
  nullableString(s: string | null): this {
    return s === null ? this.int16(-1) : this.string(s);
  }
  bytes(b: Buffer): this {
    this.int32(b.length);
    this.chunks.push(b);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new BinWriter().int16(1).string(group).string(topic).int32(partition).toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new BinWriter().int16(2).string(group).toBuffer();
}

export function encodeOffsetCommitValue(o: CommittedOffset): Buffer {
  const w = new BinWriter();
  if (o.expireTimestamp !== null) {
    // Only v1 can carry an explicit expiry (old clients' retention_time_ms).
    return w.int16(1).int64(o.offset).string(o.metadata).int64(o.commitTimestamp).int64(o.expireTimestamp).toBuffer();
  }
  return w.int16(3).int64(o.offset).int32(o.leaderEpoch).string(o.metadata).int64(o.commitTimestamp).toBuffer();
}

export function encodeGroupMetadataValue(g: StoredGroup): Buffer {
  const w = new BinWriter()
    .int16(3)
    .string(g.protocolType)
    .int32(g.generation)
    .nullableString(g.protocol)
    .nullableString(g.leader)
    .int64(g.currentStateTimestamp)
    .int32(g.members.length);
  for (const m of g.members) {
    w.string(m.memberId)
      .nullableString(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return w.toBuffer();
}

// ---------------------------------------------------------------------------------------------------------
// Reading (both classic and flexible encodings)

class BinReader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly flexible = false,
  ) {}
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new RangeError('truncated __consumer_offsets record');
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    let v = 0;
    let shift = 0;
    for (;;) {
      this.need(1);
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return v;
      shift += 7;
      if (shift > 28) throw new RangeError('varint too long');
    }
  }
  private length(): number {
    return this.flexible ? this.uvarint() - 1 : this.int16();
  }
  nullableString(): string | null {
    const len = this.length();
    if (len < 0) return null;
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new RangeError('unexpected null string');
    return s;
  }
  bytes(): Buffer {
    const len = this.flexible ? this.uvarint() - 1 : this.int32();
    if (len < 0) return Buffer.alloc(0);
    this.need(len);
    const b = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return b;
  }
  arrayLength(): number {
    const n = this.flexible ? this.uvarint() - 1 : this.int32();
    if (n > this.buf.length) throw new RangeError('bad array length');
    return Math.max(0, n);
  }
  /** Skip a tagged-field section (flexible versions only). */
  taggedFields(): void {
    if (!this.flexible) return;
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.need(size);
      this.pos += size;
    }
  }
}

/** Decode a record key; null for key versions this coordinator does not use (e.g. KIP-848 record types). */
export function decodeOffsetsKey(key: Buffer): OffsetsKey | null {
  const r = new BinReader(key);
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: 'offset', group: r.string(), topic: r.string(), partition: r.int32() };
  }
  if (version === 2) return { kind: 'group', group: r.string() };
  return null;
}

export function decodeOffsetCommitValue(value: Buffer): CommittedOffset {
  const version = value.readInt16BE(0);
  if (version < 0 || version > 4) throw new RangeError(`unknown OffsetCommitValue version ${version}`);
  const r = new BinReader(value.subarray(2), version >= 4);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = Number(r.int64());
  const expire = version === 1 ? Number(r.int64()) : -1;
  r.taggedFields();
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp: expire >= 0 ? expire : null };
}

export function decodeGroupMetadataValue(value: Buffer): StoredGroup {
  const version = value.readInt16BE(0);
  if (version < 0 || version > 4) throw new RangeError(`unknown GroupMetadataValue version ${version}`);
  const r = new BinReader(value.subarray(2), version >= 4);
  const protocolType = r.string();
  const generation = r.int32();
  const protocol = r.nullableString();
  const leader = r.nullableString();
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = r.arrayLength();
  const members: StoredMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.string();
    const groupInstanceId = version >= 3 ? r.nullableString() : null;
    const clientId = r.string();
    const clientHost = r.string();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = r.bytes();
    const assignment = r.bytes();
    r.taggedFields();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  r.taggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
