// A bare HTTP/2 gRPC stream, for the one test that needs a client whose reading stops at the HTTP/2 level
// (grpc-js clients buffer 16 messages before their flow control kicks in).
import http2 from "node:http2";

export class RawGrpcStream {
  private readonly session: http2.ClientHttp2Session;
  private readonly stream: http2.ClientHttp2Stream;
  private buf = Buffer.alloc(0);
  private readonly messages: Buffer[] = [];
  private wake: (() => void) | undefined;
  /** Resolves with the grpc-status trailer (or "closed") when the server ends the stream. */
  readonly ended: Promise<string>;

  constructor(address: string, path: string) {
    this.session = http2.connect(`http://${address}`);
    this.session.on("error", () => {});
    this.stream = this.session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" });
    this.stream.on("error", () => {});
    this.ended = new Promise((resolve) => {
      this.stream.on("trailers", (h) => resolve(String(h["grpc-status"] ?? "")));
      this.stream.on("response", (h) => h["grpc-status"] !== undefined && resolve(String(h["grpc-status"])));
      this.stream.on("close", () => resolve("closed"));
    });
    this.stream.on("data", (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 5 && this.buf.length >= 5 + this.buf.readUInt32BE(1)) {
        const len = this.buf.readUInt32BE(1);
        this.messages.push(this.buf.subarray(5, 5 + len));
        this.buf = this.buf.subarray(5 + len);
      }
      this.wake?.();
    });
  }

  /** Writes one length-prefixed gRPC message (any bytes: tests send garbage too). */
  send(message: Buffer): void {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(message.length, 1);
    this.stream.write(Buffer.concat([head, message]));
  }

  async next(timeoutMs = 5000): Promise<Buffer> {
    const end = Date.now() + timeoutMs;
    while (this.messages.length === 0) {
      if (Date.now() > end) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
    return this.messages.shift()!;
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  close(): void {
    this.stream.close();
    this.session.close();
  }
}
