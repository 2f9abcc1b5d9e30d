// A fake Envoy for the xDS benchmarks: one SotW ADS stream that behaves like Envoy (node on the first request,
// wildcard CDS, EDS by the names the clusters need, wildcard LDS, RDS by the names the listeners need, an ACK for
// every response), optionally retrying with Envoy's jittered backoff when the stream is refused or ends early.
import { createHash } from "node:crypto";
import { Metadata, type Client, type ClientDuplexStream } from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { decodeMessage } from "../src/backends/envoy/api/codec.js";
import { TYPE_URLS } from "../src/snapshot/types.js";
import { adsService, type DecodedResource, type NodeInfo, type SotwRequest, type SotwResponseIn } from "../src/xds/wire.js";

const now = () => performance.timeOrigin + performance.now();

export const stats = { responses: 0, lastResponseAt: 0, lastAckAt: 0 };
const edsCache = new Map<string, string | null>();
const rdsCache = new Map<string, string[]>();

function key(r: DecodedResource): string {
  return createHash("sha1").update(r.bytes).digest("hex");
}

/** The CLA name an EDS cluster waits for (eds_cluster_config.service_name or its name), null for other types. */
function edsName(r: DecodedResource): string | null {
  const k = key(r);
  if (edsCache.has(k)) return edsCache.get(k)!;
  let isEds = false;
  let service = "";
  const rd = protobuf.Reader.create(r.bytes);
  while (rd.pos < rd.len) {
    const tag = rd.uint32();
    if (tag === 16) isEds = rd.uint32() === 3;
    else if (tag === 26) {
      isEds = true;
      const end = rd.uint32() + rd.pos;
      while (rd.pos < end) {
        const t2 = rd.uint32();
        if (t2 === 18) service = rd.string();
        else rd.skipType(t2 & 7);
      }
    } else rd.skipType(tag & 7);
  }
  const v = isEds ? service || r.name : null;
  edsCache.set(k, v);
  return v;
}

/** Every rds.route_config_name inside a Listener (HCM Any payloads expanded by the codec). */
function routeNames(r: DecodedResource): string[] {
  const k = key(r);
  const hit = rdsCache.get(k);
  if (hit) return hit;
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k2, x] of Object.entries(v)) {
        if (k2 === "route_config_name" && typeof x === "string") out.push(x);
        else walk(x);
      }
    }
  };
  walk(decodeMessage("envoy.config.listener.v3.Listener", r.bytes));
  rdsCache.set(k, out);
  return out;
}

export class FakeEnvoy {
  private call!: ClientDuplexStream<SotwRequest, SotwResponseIn>;
  private readonly names: Record<string, string[]> = {};
  private ldsRequested = false;
  readonly startedAt = now();
  syncedAt = 0;
  lastAckAt = 0;
  error: string | undefined;

  constructor(
    private readonly client: Client,
    private readonly node: NodeInfo,
    private readonly onSynced: () => void,
  ) {}

  /** Streams refused (UNAVAILABLE) before this one got its config. */
  refusals = 0;
  /** With `retry`, a stream that ends before full config is opened again after a jittered exponential backoff (as Envoy's ADS mux: 500 ms base, 30 s cap). */
  retry = false;
  private backoffMs = 500;
  private closed = false;

  start(): void {
    const m = adsService.StreamAggregatedResources;
    delete this.names.eds;
    delete this.names.rds;
    this.ldsRequested = false;
    const call = this.client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, new Metadata(), {
      deadline: Date.now() + 600_000,
    });
    this.call = call;
    call.on("data", (r: SotwResponseIn) => this.onResponse(r));
    call.on("error", (e: Error & { code?: number }) => {
      this.error = e.message;
      if (!this.retry || this.closed || this.syncedAt || call !== this.call) return;
      if (e.code === 14) this.refusals++;
      const wait = this.backoffMs * (0.5 + Math.random() / 2);
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
      setTimeout(() => !this.closed && this.start(), wait);
    });
    this.send(TYPE_URLS.cluster, [], "", "", this.node);
  }

  private send(typeUrl: string, resourceNames: string[], versionInfo: string, responseNonce: string, node?: NodeInfo): void {
    this.call.write({ typeUrl, resourceNames, versionInfo, responseNonce, ...(node ? { node } : {}) });
  }

  private onResponse(r: SotwResponseIn): void {
    stats.responses++;
    stats.lastResponseAt = now();
    if (r.typeUrl === TYPE_URLS.cluster) {
      const eds = [...new Set(r.resources.flatMap((c) => edsName(c) ?? []))].sort();
      if (eds.join() !== (this.names.eds ?? []).join() || !this.names.eds) {
        this.names.eds = eds;
        this.send(TYPE_URLS.endpoint, eds, "", "");
      }
      this.ack(r, []);
    } else if (r.typeUrl === TYPE_URLS.endpoint) {
      this.ack(r, this.names.eds ?? []);
      if (!this.ldsRequested) {
        this.ldsRequested = true;
        this.send(TYPE_URLS.listener, [], "", "");
      }
    } else if (r.typeUrl === TYPE_URLS.listener) {
      const rds = [...new Set(r.resources.flatMap(routeNames))].sort();
      if (rds.join() !== (this.names.rds ?? []).join() || !this.names.rds) {
        this.names.rds = rds;
        this.send(TYPE_URLS.route, rds, "", "");
      }
      this.ack(r, []);
    } else if (r.typeUrl === TYPE_URLS.route) {
      this.ack(r, this.names.rds ?? []);
      if (!this.syncedAt) {
        this.syncedAt = now();
        this.onSynced();
      }
    }
  }

  /** Called after each ACK is sent (bench/registry-churn.ts watches EDS contents). */
  onAck: ((r: SotwResponseIn) => void) | undefined;

  private ack(r: SotwResponseIn, names: string[]): void {
    this.send(r.typeUrl, names, r.versionInfo, r.nonce);
    this.onAck?.(r);
    this.lastAckAt = stats.lastAckAt = now();
  }

  close(): void {
    this.closed = true;
    this.call?.cancel();
  }
}

