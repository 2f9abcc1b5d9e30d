// The xDS server's gRPC transport: node:http2 sessions on the sockets meshc's own listener accepted
// (./listener.ts), serving exactly the two ADS methods, without grpc-js's server. grpc-js's per-call machinery
// (interceptor chain, metadata objects, Readable streams of decoded messages, per-message framing copies) was the
// largest part of the server's CPU in a full sync; what the ADS streams need of it is small (./stream.ts uses
// `AdsCall` below), so it is implemented here directly:
//   - POST /envoy.service.discovery.v3.AggregatedDiscoveryService/{Stream,Delta}AggregatedResources with
//     content-type application/grpc*; other paths get UNIMPLEMENTED as a trailers-only response, other methods
//     405, other content types 415; a request grpc-encoding other than identity gets UNIMPLEMENTED.
//   - Messages reassembled across DATA frames (./grpc-frame.ts): a length prefix over maxMessageBytes ends the stream
//     with RESOURCE_EXHAUSTED before anything is buffered (R7); a compressed message ends it with UNIMPLEMENTED.
//   - Responses are written as ready bytes; HTTP/2 flow control is the write back-pressure (write() false until
//     'drain', the write callback once the bytes went to the session).
//   - Status in trailers (grpc-status, percent-encoded grpc-message), or trailers-only before any message.
//   - Per connection: SETTINGS_MAX_CONCURRENT_STREAMS, keepalive PINGs with a timeout (R20), GOAWAY at the maximum
//     connection age with ±10 % jitter and a grace after which the connection is closed (R20).
//   - Graceful close: GOAWAY on every connection; the server ends the streams; connections close when their streams
//     are done; `destroyAll` after the grace.
//   - The TLS peer for ./auth.ts comes from the TLSSocket's verified certificate (what grpc-js's getAuthContext gave).
import { EventEmitter } from "node:events";
import http2, { constants as h2 } from "node:http2";
import type net from "node:net";
import { TLSSocket } from "node:tls";
import type { Logger } from "pino";
import type { PeerAuth } from "./auth.js";
import { clip } from "./limits.js";
import { encodeGrpcMessage, frameMessage, MessageReader, messagePrefix, Status, type FrameError } from "./grpc-frame.js";

/**
 * Longest grpc-message sent (characters): percent-encoded UTF-8 takes up to 12 bytes a character, so a status stays
 * far below the 64 KiB header limit (over it, the stream would be reset with no status at all). Callers clip client
 * strings much shorter (limits.maxLoggedChars); this is the transport's own bound.
 */
const MAX_STATUS_CHARS = 2048;

/** Messages up to this size are copied behind their prefix (one write); larger ones are written as two. */
const COPY_LIMIT = 64 * 1024;

export interface TransportLimits {
  maxMessageBytes: number;
  maxStreamsPerConnection: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
}

/** One served method: how its requests are decoded (never throws: bad input becomes a value) and who handles a call. */
export interface GrpcMethod<Req> {
  decode(message: Buffer): Req;
  handle(call: AdsCall<Req>): void;
}

export interface GrpcTransportOptions {
  limits: TransportLimits;
  logger: Logger;
  /** By path, e.g. "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources". */
  methods: ReadonlyMap<string, GrpcMethod<never>>;
}

const RESPONSE_HEADERS = {
  ":status": 200,
  "content-type": "application/grpc",
  "grpc-accept-encoding": "identity",
} as const;

interface SessionInfo {
  socket: net.Socket;
  peer: string;
}

/**
 * One server-side gRPC call. Events: "data" (a decoded request), "end" (the client half-closed), "cancelled" (the
 * stream closed before a status was sent: client RST, connection lost), "close" (the stream is gone, always last),
 * "drain" (write() may be called again). Requests are not read until `start()` (HTTP/2 flow control holds the
 * client meanwhile), so a call may wait for admission without buffering.
 */
export class AdsCall<Req = unknown> extends EventEmitter {
  private headersSent = false;
  private statusSent = false;
  private inputDone = false;
  private started = false;
  private trailers: http2.OutgoingHttpHeaders | undefined;
  private readonly reader: MessageReader;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly session: SessionInfo,
    private readonly decode: (message: Buffer) => Req,
    maxMessageBytes: number,
  ) {
    super();
    this.reader = new MessageReader(maxMessageBytes);
    // (The transport's onStream already swallows the stream's errors: resets are normal; 'close' does the bookkeeping.)
    stream.on("wantTrailers", () => {
      try {
        stream.sendTrailers(this.trailers ?? { "grpc-status": String(Status.OK) });
      } catch {
        // the stream is already gone
      }
      closeAfterStatus(stream);
    });
    stream.once("close", () => {
      if (!this.statusSent) {
        this.statusSent = true;
        this.emit("cancelled");
      }
      this.emit("close");
    });
  }

  /** Starts reading requests ("data", then "end"). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const onMessage = (m: Buffer) => this.emit("data", this.decode(m));
    this.stream.on("data", (chunk: Buffer) => {
      if (this.inputDone) return;
      const err = this.reader.push(chunk, onMessage);
      if (err) this.fail(err);
    });
    this.stream.on("end", () => {
      if (this.inputDone) return;
      this.inputDone = true;
      if (this.reader.partial) this.sendStatus(Status.INTERNAL, "the client half-closed in the middle of a message");
      else this.emit("end");
    });
  }

  /** The HTTP/2 connection the call came on (an opaque key: admission shares initial-sync slots per connection). */
  get connection(): object {
    return this.session;
  }

  /** `host:port` of the client. */
  getPeer(): string {
    return this.session.peer;
  }

  /** The verified TLS peer: empty unless the connection is TLS and its client chain verified. */
  getAuthContext(): PeerAuth {
    const socket = this.session.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return {};
    const cert = socket.getPeerCertificate();
    return { transportSecurityType: "ssl", ...(cert?.raw ? { sslPeerCertificate: cert } : {}) };
  }

  /**
   * Queues one response message (ready bytes); `done` runs once it went to the HTTP/2 session. False: the stream's
   * buffer is full (flow control), wait for "drain".
   */
  write(message: Buffer, done: () => void): boolean {
    if (message.length <= COPY_LIMIT) return this.writeFramed(frameMessage(message), done);
    if (!this.ready(done)) return true;
    this.stream.write(messagePrefix(message.length));
    return this.drainWhenFull(this.stream.write(message, done));
  }

  /**
   * As `write`, for a message that already carries its 5-byte gRPC prefix (e.g. `serializeSotwResponseFramed`):
   * written as it is, one write, no copy.
   */
  writeFramed(framed: Buffer, done: () => void): boolean {
    if (!this.ready(done)) return true;
    return this.drainWhenFull(this.stream.write(framed, done));
  }

  private drainArmed = false;

  /** A full buffer: "drain" is emitted when the stream drains (listened for only then, not on every stream). */
  private drainWhenFull(ok: boolean): boolean {
    if (!ok && !this.drainArmed) {
      this.drainArmed = true;
      this.stream.once("drain", () => {
        this.drainArmed = false;
        this.emit("drain");
      });
    }
    return ok;
  }

  /** Sends the response headers before the first message; false (and `done` soon) if the call is over. */
  private ready(done: () => void): boolean {
    const s = this.stream;
    if (this.statusSent || s.destroyed) {
      queueMicrotask(done);
      return false;
    }
    if (!this.headersSent) {
      this.headersSent = true;
      s.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    }
    return true;
  }

  /** Ends the call with OK (after the client half-closed). */
  end(): void {
    this.sendStatus(Status.OK, "");
  }

  /**
   * Ends the call with a gRPC status: in trailers after the queued messages, or as a trailers-only response when
   * nothing was sent yet. Further requests are ignored.
   */
  sendStatus(code: number, details: string): void {
    if (this.statusSent) return;
    this.statusSent = true;
    this.inputDone = true;
    const s = this.stream;
    if (s.destroyed || s.closed) return;
    const status: http2.OutgoingHttpHeaders = { "grpc-status": String(code) };
    if (details) status["grpc-message"] = encodeGrpcMessage(clip(details, MAX_STATUS_CHARS));
    try {
      if (!this.headersSent) {
        this.headersSent = true;
        s.respond({ ...RESPONSE_HEADERS, ...status }, { endStream: true });
        closeAfterStatus(s);
      } else {
        this.trailers = status;
        s.end();
      }
    } catch {
      // the stream closed meanwhile
    }
    // Requests still arriving are read and dropped (the client sees the status and stops).
    if (!this.started) s.resume();
  }

  /** Resets the HTTP/2 stream (RST_STREAM CANCEL): for a client that does not read, whose status would never flush. */
  reset(): void {
    this.statusSent = true;
    if (!this.stream.destroyed) {
      try {
        this.stream.close(h2.NGHTTP2_CANCEL);
      } catch {
        // already gone
      }
    }
  }

  private fail(err: FrameError): void {
    this.sendStatus(err.code, err.details);
  }
}

export class GrpcTransport {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionInfo>();
  private injecting: SessionInfo | undefined;
  private closing = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: GrpcTransportOptions) {
    this.server = http2.createServer({
      settings: { maxConcurrentStreams: o.limits.maxStreamsPerConnection },
      // Our own per-stream queue bound (maxQueuedBytes) limits what is buffered; nghttp2's session memory cap
      // would instead refuse streams with ENHANCE_YOUR_CALM under a legitimate burst (grpc-js disables it too).
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      maxSendHeaderBlockLength: 64 * 1024,
    });
    this.server.on("session", (session) => this.onSession(session));
    this.server.on("stream", (stream, headers) => this.onStream(stream, headers));
    this.server.on("sessionError", () => {});
  }

  /** Serves HTTP/2 on an accepted socket (its client preface already checked and pushed back). */
  inject(socket: net.Socket): void {
    this.injecting = { socket, peer: socket.remotePort ? `${socket.remoteAddress}:${socket.remotePort}` : (socket.remoteAddress ?? "unknown") };
    try {
      this.server.emit("connection", socket);
    } finally {
      this.injecting = undefined;
    }
  }

  /** Open HTTP/2 sessions. */
  get open(): number {
    return this.sessions.size;
  }

  /** GOAWAY on every connection and no new ones; each closes once its streams are done. */
  goAwayAll(): void {
    this.closing = true;
    for (const session of this.sessions.keys()) goAway(session);
  }

  /** Resolves when no session is left. */
  whenIdle(): Promise<void> {
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  destroyAll(): void {
    for (const session of this.sessions.keys()) session.destroy(undefined, h2.NGHTTP2_CANCEL);
  }

  private onSession(session: http2.ServerHttp2Session): void {
    const info = this.injecting ?? { socket: session.socket as unknown as net.Socket, peer: "unknown" };
    this.sessions.set(session, info);
    session.on("error", () => {});
    const timers: { age?: NodeJS.Timeout; grace?: NodeJS.Timeout; ping?: NodeJS.Timeout; pong?: NodeJS.Timeout } = {};
    const { limits } = this.o;
    if (this.closing) goAway(session);
    if (limits.maxConnectionAgeMs > 0) {
      // ±10 % in 41 steps, not a continuum: Node keeps one timer list per distinct duration, so a continuous jitter
      // made every connection of a herd create a list and insert it into the timers' priority queue.
      const jitter = ((Math.floor(Math.random() * 41) - 20) / 200) * limits.maxConnectionAgeMs;
      timers.age = setTimeout(() => {
        goAway(session);
        timers.grace = setTimeout(() => session.destroy(undefined, h2.NGHTTP2_CANCEL), limits.maxConnectionAgeGraceMs);
        timers.grace.unref();
      }, limits.maxConnectionAgeMs + jitter);
      timers.age.unref();
    }
    if (limits.keepaliveTimeMs > 0) this.keepalive(session, timers);
    session.once("close", () => {
      for (const t of Object.values(timers)) clearTimeout(t);
      this.sessions.delete(session);
      if (this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  /** R20: a PING every keepaliveTime; no answer within keepaliveTimeout closes the connection (half-open TCP). */
  private keepalive(session: http2.ServerHttp2Session, timers: { ping?: NodeJS.Timeout; pong?: NodeJS.Timeout }): void {
    const { keepaliveTimeMs, keepaliveTimeoutMs } = this.o.limits;
    const schedule = () => {
      timers.ping = setTimeout(ping, keepaliveTimeMs);
      timers.ping.unref();
    };
    const ping = () => {
      if (session.destroyed || session.closed) return;
      let answered = false;
      // A timer that fires late (a busy event loop) may find the PING ACK unread in the socket: timers run before
      // I/O in a loop iteration, so decide after this iteration's I/O (setImmediate), as the handshake timeout does.
      timers.pong = setTimeout(
        () =>
          setImmediate(() => {
            if (answered || session.destroyed) return;
            this.o.logger.warn({ peer: this.sessions.get(session)?.peer, timeoutMs: keepaliveTimeoutMs }, "xDS connection closed: keepalive PING not answered");
            session.destroy(undefined, h2.NGHTTP2_CANCEL);
          }),
        keepaliveTimeoutMs,
      );
      timers.pong.unref();
      try {
        const sent = session.ping((err) => {
          answered = true;
          clearTimeout(timers.pong);
          if (!err) schedule();
        });
        if (!sent) session.destroy();
      } catch {
        session.destroy();
      }
    };
    schedule();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on("error", () => {});
    const info = this.sessions.get(stream.session as http2.ServerHttp2Session);
    if (!info || this.closing) {
      trailersOnly(stream, Status.UNAVAILABLE, "xDS server shutting down");
      return;
    }
    if (headers[":method"] !== "POST") {
      respondPlain(stream, 405);
      return;
    }
    const type = headers["content-type"];
    if (typeof type !== "string" || !type.startsWith("application/grpc")) {
      respondPlain(stream, 415);
      return;
    }
    const method = this.o.methods.get(String(headers[":path"]));
    if (!method) {
      trailersOnly(stream, Status.UNIMPLEMENTED, `unknown method ${String(headers[":path"]).slice(0, 256)}: this server serves only ADS (StreamAggregatedResources, DeltaAggregatedResources)`);
      return;
    }
    const encoding = headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") {
      trailersOnly(stream, Status.UNIMPLEMENTED, `grpc-encoding ${String(encoding).slice(0, 64)} is not supported: this server accepts only identity`);
      return;
    }
    const call = new AdsCall(stream, info, method.decode, this.o.limits.maxMessageBytes);
    method.handle(call as AdsCall<never>);
  }
}

function goAway(session: http2.ServerHttp2Session): void {
  if (session.destroyed || session.closed) return;
  try {
    // Last stream id 2^31-1 first (every stream in flight stays served), then close(): nghttp2 sends the final GOAWAY
    // and the session ends once its streams are done.
    session.goaway(h2.NGHTTP2_NO_ERROR, 0x7fffffff);
    session.close();
  } catch {
    session.destroy();
  }
}

function trailersOnly(stream: http2.ServerHttp2Stream, code: number, details: string): void {
  try {
    stream.respond({ ...RESPONSE_HEADERS, "grpc-status": String(code), "grpc-message": encodeGrpcMessage(clip(details, MAX_STATUS_CHARS)) }, { endStream: true });
  } catch {
    // gone
  }
  stream.resume();
  closeAfterStatus(stream);
}

/**
 * Once the status is on its way, a client that has not half-closed gets RST_STREAM NO_ERROR (as gRPC servers do):
 * it stops sending (e.g. the body of an oversized message) and the stream is freed even if the client never ends
 * its side. Queued after the trailers, so they arrive first.
 */
function closeAfterStatus(stream: http2.ServerHttp2Stream): void {
  setImmediate(() => {
    if (stream.closed || stream.destroyed) return;
    try {
      stream.close(h2.NGHTTP2_NO_ERROR);
    } catch {
      // gone
    }
  });
}

function respondPlain(stream: http2.ServerHttp2Stream, status: number): void {
  try {
    stream.respond({ ":status": status }, { endStream: true });
  } catch {
    // gone
  }
  stream.resume();
  closeAfterStatus(stream);
}
