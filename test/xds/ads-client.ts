// A raw ADS protocol client for tests: the same hand-written service definition as the server, with every
// response queued so a test can await the next one, or check that none comes.
import { Client, credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ClientDuplexStream, type StatusObject } from "@grpc/grpc-js";
import { adsService, type DeltaRequest, type DeltaResponseIn, type NodeInfo, type SotwRequest, type SotwResponseIn } from "../../src/xds/wire.js";

export function node(service: string, id = `${service}-1`): NodeInfo {
  return { id, cluster: service, userAgentName: "meshc-test", userAgentVersion: "0", clientFeatures: [] };
}

export class AdsTestClient<Req, Res> {
  private readonly queue: Res[] = [];
  private waiters: ((r: Res | undefined) => void)[] = [];
  private ended: StatusObject | undefined;
  private readonly endWaiters: ((s: StatusObject) => void)[] = [];

  private constructor(
    private readonly client: Client,
    private readonly call: ClientDuplexStream<Req, Res>,
  ) {
    call.on("data", (r: Res) => {
      const w = this.waiters.shift();
      if (w) w(r);
      else this.queue.push(r);
    });
    call.on("status", (s: StatusObject) => this.onEnd(s));
    call.on("error", () => {}); // the status event carries the outcome
  }

  private onEnd(s: StatusObject): void {
    if (this.ended) return;
    this.ended = s;
    for (const w of this.waiters.splice(0)) w(undefined);
    for (const w of this.endWaiters.splice(0)) w(s);
  }

  /** `options`: e.g. { "grpc.use_local_subchannel_pool": 1 } for a connection of its own (grpc-js shares them by default). */
  static sotw(address: string, deadlineMs = 60_000, creds: ChannelCredentials = credentials.createInsecure(), options?: ChannelOptions): AdsTestClient<SotwRequest, SotwResponseIn> {
    const client = new Client(address, creds, options);
    const m = adsService.StreamAggregatedResources;
    const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {
      deadline: Date.now() + deadlineMs,
    });
    return new AdsTestClient(client, call);
  }

  static delta(address: string, deadlineMs = 60_000, creds: ChannelCredentials = credentials.createInsecure()): AdsTestClient<DeltaRequest, DeltaResponseIn> {
    const client = new Client(address, creds);
    const m = adsService.DeltaAggregatedResources;
    const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {
      deadline: Date.now() + deadlineMs,
    });
    return new AdsTestClient(client, call);
  }

  send(req: Req): void {
    this.call.write(req);
  }

  /** The next response; fails after `timeoutMs` or when the stream ends first. */
  async next(timeoutMs = 5000): Promise<Res> {
    const queued = this.queue.shift();
    if (queued !== undefined) return queued;
    if (this.ended) throw new Error(`stream ended: ${this.ended.code} ${this.ended.details}`);
    const r = await new Promise<Res | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (x: Res | undefined) => {
        clearTimeout(timer);
        resolve(x);
      };
      this.waiters.push(done);
    });
    if (r === undefined) {
      const ended = this.ended as StatusObject | undefined;
      throw new Error(ended ? `stream ended: ${ended.code} ${ended.details}` : `no response within ${timeoutMs} ms`);
    }
    return r;
  }

  /** Resolves with the responses that arrived within `ms` (tests assert this is empty for "no push"). */
  async collect(ms = 300): Promise<Res[]> {
    await new Promise((r) => setTimeout(r, ms));
    return this.queue.splice(0);
  }

  /** The final status (waits for the server to end the stream). */
  status(timeoutMs = 5000): Promise<StatusObject> {
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stream did not end within ${timeoutMs} ms`)), timeoutMs);
      this.endWaiters.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
    });
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

export type SotwClient = AdsTestClient<SotwRequest, SotwResponseIn>;
export type DeltaClient = AdsTestClient<DeltaRequest, DeltaResponseIn>;

/** A SotW request with defaults. */
export function sreq(typeUrl: string, o: Partial<SotwRequest> = {}): SotwRequest {
  return { versionInfo: "", resourceNames: [], typeUrl, responseNonce: "", ...o };
}

/** A Delta request with defaults. */
export function dreq(typeUrl: string, o: Partial<DeltaRequest> = {}): DeltaRequest {
  return { typeUrl, subscribe: [], unsubscribe: [], initialResourceVersions: {}, responseNonce: "", ...o };
}

export const names = (r: { resources: { name: string }[] }) => r.resources.map((x) => x.name);
