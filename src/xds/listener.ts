// The TCP side of the xDS server: meshc owns the listening socket. A net.Server accepts connections, closes those
// over the cap at once, waits (bounded) for the HTTP/2 client preface, closes anything that is not HTTP/2, and only
// then hands the socket (preface pushed back) to the gRPC transport (./grpc-transport.ts). (This was first written
// for grpc-js, which has neither a handshake timeout nor a connection cap.) Every socket is tracked, so shutdown can
// end them all after the grace period.
import net from "node:net";
import tls from "node:tls";
import type { Logger } from "pino";
import type { XdsMetrics } from "./metrics.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface GateOptions {
  maxConnections: number;
  handshakeTimeoutMs: number;
  logger: Logger;
  metrics: XdsMetrics;
  /** Hands an HTTP/2 socket to the gRPC transport. */
  inject(socket: net.Socket): void;
  /**
   * Authenticated ADS (./auth.ts): terminate TLS here with these options (certificate, key, CA), asking for a client
   * certificate. The chain is checked against the CA; an unverified peer still completes the handshake, and each of
   * its streams is refused with UNAUTHENTICATED as it opens, before admission (./server.ts), so clients see why. Undefined: no certificate yet, the connection is closed. A new object
   * (by identity) replaces the context for new connections.
   */
  tls?: () => tls.SecureContextOptions | undefined;
}

export class ConnectionGate {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly handshaking = new Set<net.Socket>();
  private emptyWaiters: (() => void)[] = [];
  private closing = false;
  private readonly tlsServer: tls.Server | undefined;
  private tlsOptions: tls.SecureContextOptions | undefined;

  constructor(private readonly o: GateOptions) {
    this.server = net.createServer({ noDelay: true }, (s) => this.accept(s));
    this.server.on("error", (err) => o.logger.error({ err }, "xDS listener error"));
    this.tlsServer = o.tls ? this.createTlsServer() : undefined;
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host: host.replace(/^\[(.*)\]$/, "$1"), port }, () => {
        this.server.removeListener("error", onError);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  get open(): number {
    return this.sockets.size;
  }

  private accept(socket: net.Socket): void {
    socket.on("error", () => {}); // resets by peers are normal; 'close' does the bookkeeping
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (this.sockets.size >= this.o.maxConnections) {
      this.o.metrics.connectionsRefused.inc({ reason: "limit" });
      this.logAtMostEverySecond("limit", () =>
        this.o.logger.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}`, limit: this.o.maxConnections }, "xDS connection refused: connection limit reached (further refusals this second are only counted)"),
      );
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.o.metrics.connections.set(this.sockets.size);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.handshaking.delete(socket);
      this.o.metrics.connections.set(this.sockets.size);
      if (this.sockets.size === 0) for (const w of this.emptyWaiters.splice(0)) w();
    });
    if (this.tlsServer) this.startTls(socket);
    else this.handshake(socket);
  }

  /**
   * Hands the TCP socket to a (never listening) tls.Server, which runs the handshake (bounded by handshakeTimeout)
   * and verifies the client chain; its 'secureConnection' continues with the HTTP/2 preface check.
   */
  private startTls(socket: net.Socket): void {
    const options = this.o.tls!();
    if (!options) {
      this.o.metrics.connectionsRefused.inc({ reason: "tls_not_ready" });
      this.logAtMostEverySecond("tls_not_ready", () => this.o.logger.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}` }, "xDS connection closed: the server certificate is not issued yet (first compile pending)"));
      socket.destroy();
      return;
    }
    if (options !== this.tlsOptions) {
      this.tlsServer!.setSecureContext(options);
      this.tlsOptions = options;
    }
    this.tlsServer!.emit("connection", socket);
  }

  private createTlsServer(): tls.Server {
    const server = tls.createServer({ requestCert: true, rejectUnauthorized: false, ALPNProtocols: ["h2"], handshakeTimeout: this.o.handshakeTimeoutMs });
    server.on("secureConnection", (s: tls.TLSSocket) => {
      s.on("error", () => {});
      if (this.closing) s.destroy();
      else this.handshake(s);
    });
    server.on("tlsClientError", (err: Error, s: tls.TLSSocket) => {
      const reason = /timed? ?out/i.test(err.message) ? "tls_handshake_timeout" : "tls_error";
      this.o.metrics.connectionsRefused.inc({ reason });
      this.logAtMostEverySecond(reason, () => this.o.logger.warn({ peer: `${s.remoteAddress}:${s.remotePort}`, error: err.message }, "xDS TLS handshake failed (further ones this second are only counted)"));
      s.destroy();
    });
    return server;
  }

  /** Reads the 24-byte client preface (bounded in time), then gives the socket to the transport with the bytes pushed back. */
  private handshake(socket: net.Socket): void {
    this.handshaking.add(socket);
    let got: Buffer = Buffer.alloc(0);
    const fail = (reason: "handshake_timeout" | "not_http2") => {
      this.o.metrics.connectionsRefused.inc({ reason });
      this.logAtMostEverySecond(reason, () =>
        this.o.logger.warn({ peer: `${socket.remoteAddress}:${socket.remotePort}`, reason }, "xDS connection closed before HTTP/2 started (further ones this second are only counted)"),
      );
      socket.destroy();
    };
    // When the timer fires late (a busy event loop), the preface may be waiting unread: timers run before I/O in a
    // loop iteration, so decide after this iteration's I/O (setImmediate) instead of closing at once.
    const timer = setTimeout(() => setImmediate(() => this.handshaking.has(socket) && !socket.destroyed && fail("handshake_timeout")), this.o.handshakeTimeoutMs);
    timer.unref();
    const onData = (chunk: Buffer) => {
      got = got.length ? Buffer.concat([got, chunk]) : chunk;
      const n = Math.min(got.length, PREFACE.length);
      if (!got.subarray(0, n).equals(PREFACE.subarray(0, n))) {
        clearTimeout(timer);
        socket.removeListener("data", onData);
        fail("not_http2");
        return;
      }
      if (got.length < PREFACE.length) return;
      clearTimeout(timer);
      socket.removeListener("data", onData);
      socket.pause();
      socket.unshift(got);
      this.handshaking.delete(socket);
      this.o.inject(socket);
    };
    socket.on("data", onData);
    socket.once("close", () => clearTimeout(timer));
  }

  private readonly lastLog = new Map<string, number>();

  /** A flood of refused connections is counted in full but logged at most once a second per reason. */
  private logAtMostEverySecond(key: string, log: () => void): void {
    const now = performance.now();
    if ((this.lastLog.get(key) ?? -Infinity) > now - 1000) return;
    this.lastLog.set(key, now);
    log();
  }

  /** Stops accepting; connections still in their handshake are closed (they carry no stream). */
  stopAccepting(): void {
    if (this.closing) return;
    this.closing = true;
    this.server.close();
    for (const s of this.handshaking) s.destroy();
  }

  /** Resolves when no connection is left open. */
  whenEmpty(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((r) => this.emptyWaiters.push(r));
  }

  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}
