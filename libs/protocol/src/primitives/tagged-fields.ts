import { CORRUPT_MESSAGE, KafkaProtocolError } from '../errors/kafka-protocol-error';
import { Reader } from './reader';
import { Writer } from './writer';

/** A tagged field as raw bytes (the generic codec decodes known tags itself; this is for hand-rolled framing). */
export interface RawTaggedField {
  tag: number;
  data: Buffer;
}

/** Reads a whole tag buffer: uvarint count, then (uvarint tag, uvarint size, bytes) per field, tags ascending. */
export function readTaggedFields(r: Reader): RawTaggedField[] {
  const count = r.uvarint();
  // each field takes at least 2 bytes (tag and size)
  r.checkCount(count, 2);
  const out: RawTaggedField[] = [];
  let last = -1;
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint();
    if (tag <= last) throw new KafkaProtocolError(CORRUPT_MESSAGE, `Tagged fields out of order: ${tag} after ${last}`);
    last = tag;
    const size = r.uvarint();
    out.push({ tag, data: r.slice(size) });
  }
  return out;
}

export function writeTaggedFields(w: Writer, fields: readonly RawTaggedField[]): void {
  const sorted = [...fields].sort((a, b) => a.tag - b.tag);
  w.uvarint(sorted.length);
  for (const f of sorted) {
    w.uvarint(f.tag);
    w.uvarint(f.data.length);
    w.raw(f.data);
  }
}
