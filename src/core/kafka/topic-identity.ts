import net from 'node:net';
import type { SmtConfig } from '../config/config.js';
import { errorMessage, ServiceUnavailableError, UsageError } from '../errors.js';

/**
 * Which topic a consumed offset belongs to, beyond its name: the cluster's id and the topic's id
 * (a UUID Kafka gives each topic at creation; a deleted and recreated topic gets a new one). Ingest
 * keys its watermark and its delivery sources by it, so a recreated topic or another cluster is not
 * mistaken for a replay of what was counted before.
 *
 * kafkajs 2.2 speaks Metadata up to v6, which has no topic ids; this sends one Metadata v12 request
 * (KIP-516, Kafka ≥ 3.1) over plain TCP to a bootstrap broker.
 */
export interface TopicIdentity {
  clusterId: string;
  topic: string;
  /** 32 hex digits */
  topicId: string;
}

/** The first 8 hex digits: enough to tell incarnations of one topic apart in a source string. */
export function incarnationOf(id: TopicIdentity): string {
  return id.topicId.slice(0, 8);
}

const METADATA = 3;
const VERSION = 12;

class Writer {
  private readonly parts: Buffer[] = [];
  int16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
    return this;
  }
  int32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    this.parts.push(b);
    return this;
  }
  uvarint(n: number): this {
    const bytes: number[] = [];
    let v = n;
    while (v >= 0x80) {
      bytes.push((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(v);
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  constructor(
    private readonly b: Buffer,
    private at = 0,
  ) {}
  int8(): number {
    return this.b.readInt8(this.advance(1));
  }
  int16(): number {
    return this.b.readInt16BE(this.advance(2));
  }
  int32(): number {
    return this.b.readInt32BE(this.advance(4));
  }
  uvarint(): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.b.readUInt8(this.advance(1));
      n |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return n >>> 0;
    }
    throw new Error('malformed varint');
  }
  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const start = this.advance(n - 1);
    return this.b.toString('utf8', start, start + n - 1);
  }
  uuid(): string {
    const start = this.advance(16);
    return this.b.toString('hex', start, start + 16);
  }
  compactArray<T>(item: () => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 1; i < n; i++) out.push(item());
    return out;
  }
  skipTags(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint();
      this.advance(this.uvarint());
    }
  }
  private advance(n: number): number {
    const at = this.at;
    if (at + n > this.b.length) throw new Error('response ends early');
    this.at += n;
    return at;
  }
}

function request(topic: string, clientId: string, correlationId: number): Buffer {
  const name = Buffer.from(topic, 'utf8');
  const client = Buffer.from(clientId, 'utf8');
  const body = new Writer()
    .int16(METADATA)
    .int16(VERSION)
    .int32(correlationId)
    .int16(client.length)
    .bytes(client)
    .uvarint(0) // header tags
    .uvarint(2) // one topic
    .bytes(Buffer.alloc(16)) // topic id unknown: ask by name
    .uvarint(name.length + 1)
    .bytes(name)
    .uvarint(0)
    .bytes(Buffer.from([0, 0])) // allow_auto_topic_creation, include_topic_authorized_operations
    .uvarint(0)
    .done();
  return Buffer.concat([new Writer().int32(body.length).done(), body]);
}

/** Parse a Metadata v12 response body (after the length prefix). Exported for tests. */
export function parseMetadataResponse(
  body: Buffer,
  topic: string,
): { clusterId: string | null; topicId: string | null; errorCode: number } {
  const r = new Reader(body);
  r.int32(); // correlation id
  r.skipTags();
  r.int32(); // throttle
  r.compactArray(() => {
    r.int32();
    r.compactString();
    r.int32();
    r.compactString();
    r.skipTags();
  });
  const clusterId = r.compactString();
  r.int32(); // controller
  const topics = r.compactArray(() => {
    const errorCode = r.int16();
    const name = r.compactString();
    const topicId = r.uuid();
    r.int8(); // is_internal
    r.compactArray(() => {
      r.int16();
      r.int32();
      r.int32();
      r.int32();
      r.compactArray(() => r.int32());
      r.compactArray(() => r.int32());
      r.compactArray(() => r.int32());
      r.skipTags();
    });
    r.int32(); // authorized operations
    r.skipTags();
    return { errorCode, name, topicId };
  });
  const t = topics.find((x) => x.name === topic);
  return { clusterId, topicId: t && t.errorCode === 0 ? t.topicId : null, errorCode: t?.errorCode ?? -1 };
}

function ask(host: string, port: number, payload: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const chunks: Buffer[] = [];
    let size = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (d) => {
      chunks.push(d);
      size += d.length;
      const all = size >= 4 ? Buffer.concat(chunks) : null;
      if (all && all.length >= 4 + all.readInt32BE(0)) {
        socket.end();
        resolve(all.subarray(4, 4 + all.readInt32BE(0)));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before the answer')));
  });
}

/** The identity of `topic` on the configured cluster. */
export async function topicIdentity(
  config: SmtConfig,
  topic: string,
  timeoutMs = 10_000,
): Promise<TopicIdentity> {
  const brokers = config.list('kafka.brokers');
  let last: unknown = null;
  for (const broker of brokers) {
    const i = broker.lastIndexOf(':');
    const host = broker.slice(0, i);
    const port = Number(broker.slice(i + 1));
    if (i < 0 || !Number.isInteger(port))
      throw new UsageError(
        `kafka.brokers entry "${broker}" is not host:port`,
        'Set SMT_KAFKA_BROKERS=host:port,...',
      );
    try {
      const body = await ask(host, port, request(topic, config.string('kafka.clientId'), 1), timeoutMs);
      const { clusterId, topicId, errorCode } = parseMetadataResponse(body, topic);
      if (!clusterId || !topicId || /^0+$/.test(topicId))
        throw new ServiceUnavailableError(
          'kafka',
          `the broker did not return an id for topic ${topic} (error ${errorCode})`,
          {
            hint: 'smt needs Kafka ≥ 3.1 (topic ids); the topic must exist.',
          },
        );
      return { clusterId, topic, topicId };
    } catch (err) {
      if (err instanceof ServiceUnavailableError) throw err;
      last = err;
    }
  }
  throw new ServiceUnavailableError('kafka', `cannot read the id of topic ${topic}: ${errorMessage(last)}`);
}
