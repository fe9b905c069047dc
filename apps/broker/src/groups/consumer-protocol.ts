// Just enough of the "consumer" embedded protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment,
// both prefixed with an int16 version and never flexible) to learn which topics a group subscribes to and
// which partitions each member owns. Used for offset expiry (KIP-211: offsets of subscribed topics don't
// expire while the group is active), OffsetDelete (GROUP_SUBSCRIBED_TO_TOPIC) and lag metrics.
// Anything unparsable yields null: the coordinator never rejects a member over its opaque metadata.

class MiniReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError('truncated');
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
  string(): string {
    const len = this.int16();
    if (len < 0) throw new RangeError('null string');
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
  arrayLength(): number {
    const n = this.int32();
    if (n < 0) return 0;
    // Each element takes at least 2 bytes, so a count the buffer can't hold is corrupt.
    if (n > this.buf.length) throw new RangeError('bad array length');
    return n;
  }
}

export function parseSubscriptionTopics(metadata: Buffer): string[] | null {
  try {
    const r = new MiniReader(metadata);
    const version = r.int16();
    if (version < 0) return null;
    const n = r.arrayLength();
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return null;
  }
}

export function parseAssignment(assignment: Buffer): Map<string, number[]> | null {
  if (assignment.length === 0) return new Map();
  try {
    const r = new MiniReader(assignment);
    const version = r.int16();
    if (version < 0) return null;
    const out = new Map<string, number[]>();
    const n = r.arrayLength();
    for (let i = 0; i < n; i++) {
      const topic = r.string();
      const m = r.arrayLength();
      const parts: number[] = [];
      for (let j = 0; j < m; j++) parts.push(r.int32());
      out.set(topic, [...(out.get(topic) ?? []), ...parts]);
    }
    return out;
  } catch {
    return null;
  }
}

/** Build a version-0 subscription (tests and tools). */
export function encodeSubscription(topics: readonly string[], userData: Buffer | null = null): Buffer {
  const parts: Buffer[] = [int16(0), int32(topics.length)];
  for (const t of topics) parts.push(str(t));
  parts.push(userData === null ? int32(-1) : Buffer.concat([int32(userData.length), userData]));
  return Buffer.concat(parts);
}

/** Build a version-0 assignment (tests and tools). */
export function encodeAssignment(assignment: Record<string, number[]>): Buffer {
  const entries = Object.entries(assignment);
  const parts: Buffer[] = [int16(0), int32(entries.length)];
  for (const [t, ps] of entries) {
    parts.push(str(t), int32(ps.length));
    for (const p of ps) parts.push(int32(p));
  }
  parts.push(int32(-1));
  return Buffer.concat(parts);
}

function int16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
}
function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
}
function str(s: string): Buffer {
  const body = Buffer.from(s, 'utf8');
  return Buffer.concat([int16(body.length), body]);
}
