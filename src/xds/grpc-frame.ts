// gRPC's length-prefixed message framing over HTTP/2 DATA frames, for the xDS server's own transport
// (./grpc-transport.ts): each message is a 1-byte flag (bit 0: compressed), a 4-byte big-endian length and the
// bytes. DATA frames do not align with messages, so the reader reassembles across chunks; it checks the length
// prefix against the limit before buffering anything (R7) and refuses compressed messages (the server advertises
// `grpc-accept-encoding: identity`). Status messages are percent-encoded as the gRPC HTTP/2 spec says.

/** gRPC status codes the transport itself answers with (the rest come from the stream logic). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;
export type Status = number;

export interface FrameError {
  code: number;
  details: string;
}

const EMPTY = Buffer.alloc(0);

/** Reassembles gRPC messages from DATA chunks. */
export class MessageReader {
  private readonly head = Buffer.alloc(5);
  private headLen = 0;
  private body: Buffer | undefined;
  private bodyLen = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Whether a message is partly read (a half-close now would cut it). */
  get partial(): boolean {
    return this.headLen > 0 || this.body !== undefined;
  }

  /**
   * Feeds one chunk; calls `onMessage` for every complete message (a view into the chunk when the message lies in
   * it whole: decode it before returning). Returns the error that must end the stream, if any; after an error the
   * reader must not be fed again.
   */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): FrameError | undefined {
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      if (this.body === undefined) {
        if (this.headLen === 0 && n - off >= 5) {
          // Fast path: the whole prefix is in this chunk.
          const err = this.check(chunk[off]!, chunk.readUInt32BE(off + 1));
          if (err) return err;
          const len = chunk.readUInt32BE(off + 1);
          off += 5;
          if (n - off >= len) {
            onMessage(len === 0 ? EMPTY : chunk.subarray(off, off + len));
            off += len;
            continue;
          }
          this.body = Buffer.allocUnsafe(len);
          this.bodyLen = 0;
          continue;
        }
        const take = Math.min(5 - this.headLen, n - off);
        chunk.copy(this.head, this.headLen, off, off + take);
        this.headLen += take;
        off += take;
        if (this.headLen < 5) break;
        this.headLen = 0;
        const len = this.head.readUInt32BE(1);
        const err = this.check(this.head[0]!, len);
        if (err) return err;
        if (len === 0) {
          onMessage(EMPTY);
          continue;
        }
        this.body = Buffer.allocUnsafe(len);
        this.bodyLen = 0;
      } else {
        const take = Math.min(this.body.length - this.bodyLen, n - off);
        chunk.copy(this.body, this.bodyLen, off, off + take);
        this.bodyLen += take;
        off += take;
        if (this.bodyLen === this.body.length) {
          const message = this.body;
          this.body = undefined;
          onMessage(message);
        }
      }
    }
    return undefined;
  }

  private check(flags: number, len: number): FrameError | undefined {
    if (flags === 1) {
      return { code: Status.UNIMPLEMENTED, details: "compressed gRPC messages are not supported: this server accepts only identity encoding (grpc-accept-encoding: identity)" };
    }
    if (flags !== 0) return { code: Status.INTERNAL, details: `invalid gRPC message flags 0x${flags.toString(16)}` };
    if (len > this.maxMessageBytes) {
      return { code: Status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${len} vs. ${this.maxMessageBytes})` };
    }
    return undefined;
  }
}

/** One message with its 5-byte prefix, in one buffer (one write, one DATA frame for small messages). */
export function frameMessage(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

/** The 5-byte prefix alone (large messages are written as prefix + the message itself, without a copy). */
export function messagePrefix(length: number): Buffer {
  const out = Buffer.allocUnsafe(5);
  out[0] = 0;
  out.writeUInt32BE(length, 1);
  return out;
}

/** grpc-message: every byte outside printable ASCII, and '%', percent-encoded (gRPC over HTTP/2 spec). */
export function encodeGrpcMessage(details: string): string {
  let plain = true;
  for (let i = 0; i < details.length; i++) {
    const c = details.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return details;
  let out = "";
  for (const b of Buffer.from(details, "utf8")) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
