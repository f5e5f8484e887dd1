/**
 * Raw messages packed for a worker: one ArrayBuffer (transferred, not copied, to the worker)
 * holding a small header and the message bytes back to back. ~100 Kafka messages per task become
 * one transfer instead of 100 structured clones.
 *
 * Layout (Uint32, little-endian as the platform): [count][count + 1 offsets relative to the data
 * section][data: UTF-8 for strings, bytes as given].
 */
export type RawMessage = string | Uint8Array;

export function packMessages(messages: readonly RawMessage[]): ArrayBuffer {
  const count = messages.length;
  const header = 4 * (count + 2);
  let total = 0;
  for (const m of messages) total += typeof m === 'string' ? Buffer.byteLength(m, 'utf8') : m.byteLength;
  const buffer = new ArrayBuffer(header + total);
  const head = new Uint32Array(buffer, 0, count + 2);
  head[0] = count;
  const data = Buffer.from(buffer, header, total);
  let pos = 0;
  for (let k = 0; k < count; k++) {
    const m = messages[k]!;
    head[k + 1] = pos;
    if (typeof m === 'string') pos += data.write(m, pos, 'utf8');
    else {
      data.set(m, pos);
      pos += m.byteLength;
    }
  }
  head[count + 1] = pos;
  return buffer;
}

/** Views (no copies) of the packed messages. */
export function unpackMessages(buffer: ArrayBuffer): Uint8Array[] {
  const count = new Uint32Array(buffer, 0, 1)[0]!;
  const header = 4 * (count + 2);
  const offsets = new Uint32Array(buffer, 4, count + 1);
  if (header + offsets[count]! !== buffer.byteLength)
    throw new RangeError('packed messages: offset table does not match the buffer');
  const out: Uint8Array[] = new Array(count);
  for (let k = 0; k < count; k++)
    out[k] = new Uint8Array(buffer, header + offsets[k]!, offsets[k + 1]! - offsets[k]!);
  return out;
}
