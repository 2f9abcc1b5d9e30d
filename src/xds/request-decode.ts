// The server's decoder of ADS requests (DiscoveryRequest, DeltaDiscoveryRequest), written by hand over the wire
// format instead of through protobufjs's reflection of Envoy's whole API. Loading that reflection (parsing every
// Envoy .proto) cost each xDS worker about a second and a half of CPU during its first full sync and tens of MiB of
// heap for the life of the process, only to read a dozen fields. This decoder reads exactly the fields the server
// uses (node: id, cluster, locality, user agent, client features; names; type URL; nonce; error_detail) and skips
// every other field by its wire type, so node.metadata (bounded by --max-node-size before this runs) is never
// turned into objects. Strings are strict UTF-8, as protobufjs reads them: invalid UTF-8 throws, and the guard
// (./guard.ts) ends the stream with INVALID_ARGUMENT. test/xds/request-decode.test.ts checks it against protobufjs.
import { TYPE_URLS } from "../snapshot/types.js";
import type { DeltaRequest, NodeInfo, RpcStatus, SotwRequest } from "./wire.js";

const strict = new TextDecoder("utf-8", { fatal: true });

const asBuffer = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as a uint32 (higher bits of longer varints are dropped, as protobufjs's uint32() does). */
  varint(): number {
    let v = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError("index out of range: truncated varint");
      const b = this.buf[this.pos++]!;
      if (shift < 32) v |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return v >>> 0;
    }
    throw new Error("invalid varint encoding");
  }

  /** The bounds of a length-delimited field's payload, advancing past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new RangeError(`index out of range: ${start} + ${len} > ${this.end}`);
    this.pos = start + len;
    return [start, start + len];
  }

  string(): string {
    const [s, e] = this.span();
    return utf8(this.buf, s, e);
  }

  /**
   * A type URL: one of the served types' URLs comes back as the very string constant (no decode, and maps keyed by
   * it find a string whose hash is already computed); any other is decoded as a string.
   */
  typeUrl(): string {
    const [s, e] = this.span();
    const known = KNOWN_TYPE_URLS.get(e - s);
    if (known) for (const [bytes, url] of known) if (this.buf.compare(bytes, 0, bytes.length, s, e) === 0) return url;
    return utf8(this.buf, s, e);
  }

  sub(): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, s, e);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.varint();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.span();
        return;
      case 3:
        for (;;) {
          const tag = this.varint();
          if ((tag & 7) === 4) return;
          this.skip(tag & 7);
        }
      case 5:
        this.advance(4);
        return;
      default:
        throw new Error(`invalid wire type ${wireType} at offset ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new RangeError("index out of range: truncated fixed-size field");
    this.pos += n;
  }
}

/** The served type URLs by byte length, each with its bytes (for Reader.typeUrl). */
const KNOWN_TYPE_URLS = new Map<number, [Buffer, string][]>();
for (const url of Object.values(TYPE_URLS)) {
  const bytes = Buffer.from(url, "utf8");
  const list = KNOWN_TYPE_URLS.get(bytes.length) ?? [];
  list.push([bytes, url]);
  KNOWN_TYPE_URLS.set(bytes.length, list);
}

/** Strict UTF-8: Node's decoder (fast) replaces bad sequences with U+FFFD; only then is the fatal decoder asked. */
function utf8(buf: Buffer, s: number, e: number): string {
  const text = buf.toString("utf8", s, e);
  return text.includes("\uFFFD") ? strict.decode(buf.subarray(s, e)) : text;
}

/** The field's payload must be length-delimited (wire type 2); anything else is not a valid request. */
function want(tag: number, wireType: number): void {
  if ((tag & 7) !== wireType) throw new Error(`field ${tag >>> 3} has wire type ${tag & 7}, expected ${wireType}`);
}

function semver(r: Reader): string {
  let major = 0;
  let minor = 0;
  let patch = 0;
  while (r.more()) {
    const tag = r.varint();
    const f = tag >>> 3;
    if (f >= 1 && f <= 3) {
      want(tag, 0);
      const v = r.varint();
      if (f === 1) major = v;
      else if (f === 2) minor = v;
      else patch = v;
    } else r.skip(tag & 7);
  }
  return `${major}.${minor}.${patch}`;
}

/** envoy.config.core.v3.BuildVersion: version = 1 (SemanticVersion); metadata skipped. */
function buildVersion(r: Reader): string {
  let version = "";
  while (r.more()) {
    const tag = r.varint();
    if (tag >>> 3 === 1) {
      want(tag, 2);
      version = semver(r.sub());
    } else r.skip(tag & 7);
  }
  return version;
}

/** envoy.config.core.v3.Node: the fields the server reads (the rest, metadata included, skipped unparsed). */
function node(r: Reader): NodeInfo {
  let id = "";
  let cluster = "";
  let userAgentName = "";
  let userAgentVersion = "";
  let builtVersion: string | undefined;
  let locality: NodeInfo["locality"];
  const clientFeatures: string[] = [];
  while (r.more()) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1:
        want(tag, 2);
        id = r.string();
        break;
      case 2:
        want(tag, 2);
        cluster = r.string();
        break;
      case 4: {
        want(tag, 2);
        const l = r.sub();
        locality = { region: "", zone: "", sub_zone: "" };
        while (l.more()) {
          const t = l.varint();
          const f = t >>> 3;
          if (f >= 1 && f <= 3) {
            want(t, 2);
            const v = l.string();
            if (f === 1) locality.region = v;
            else if (f === 2) locality.zone = v;
            else locality.sub_zone = v;
          } else l.skip(t & 7);
        }
        break;
      }
      case 6:
        want(tag, 2);
        userAgentName = r.string();
        break;
      case 7: // oneof user_agent_version_type: the string form is preferred when both came
        want(tag, 2);
        userAgentVersion = r.string();
        break;
      case 8:
        want(tag, 2);
        builtVersion = buildVersion(r.sub());
        break;
      case 10:
        want(tag, 2);
        clientFeatures.push(r.string());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  const info: NodeInfo = { id, cluster, userAgentName, userAgentVersion: userAgentVersion || builtVersion || "", clientFeatures };
  if (locality) info.locality = locality;
  return info;
}

/** google.rpc.Status: code = 1 (int32), message = 2; details skipped. */
function rpcStatus(r: Reader): RpcStatus {
  let code = 0;
  let message = "";
  while (r.more()) {
    const tag = r.varint();
    if (tag >>> 3 === 1) {
      want(tag, 0);
      code = r.varint() | 0;
    } else if (tag >>> 3 === 2) {
      want(tag, 2);
      message = r.string();
    } else r.skip(tag & 7);
  }
  return { code, message };
}

/** envoy.service.discovery.v3.DiscoveryRequest. */
export function readSotwRequest(bytes: Uint8Array): SotwRequest {
  const r = new Reader(asBuffer(bytes), 0, bytes.length);
  const req: SotwRequest = { versionInfo: "", resourceNames: [], typeUrl: "", responseNonce: "" };
  while (r.more()) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1:
        want(tag, 2);
        req.versionInfo = r.string();
        break;
      case 2:
        want(tag, 2);
        req.node = node(r.sub());
        break;
      case 3:
        want(tag, 2);
        req.resourceNames.push(r.string());
        break;
      case 4:
        want(tag, 2);
        req.typeUrl = r.typeUrl();
        break;
      case 5:
        want(tag, 2);
        req.responseNonce = r.string();
        break;
      case 6:
        want(tag, 2);
        req.errorDetail = rpcStatus(r.sub());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return req;
}

/** envoy.service.discovery.v3.DeltaDiscoveryRequest. */
export function readDeltaRequest(bytes: Uint8Array): DeltaRequest {
  const r = new Reader(asBuffer(bytes), 0, bytes.length);
  const req: DeltaRequest = { typeUrl: "", subscribe: [], unsubscribe: [], initialResourceVersions: {}, responseNonce: "" };
  const versions: [string, string][] = [];
  while (r.more()) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case 1:
        want(tag, 2);
        req.node = node(r.sub());
        break;
      case 2:
        want(tag, 2);
        req.typeUrl = r.typeUrl();
        break;
      case 3:
        want(tag, 2);
        req.subscribe.push(r.string());
        break;
      case 4:
        want(tag, 2);
        req.unsubscribe.push(r.string());
        break;
      case 5: {
        want(tag, 2);
        const e = r.sub();
        let k = "";
        let v = "";
        while (e.more()) {
          const t = e.varint();
          if (t >>> 3 === 1) {
            want(t, 2);
            k = e.string();
          } else if (t >>> 3 === 2) {
            want(t, 2);
            v = e.string();
          } else e.skip(t & 7);
        }
        versions.push([k, v]);
        break;
      }
      case 6:
        want(tag, 2);
        req.responseNonce = r.string();
        break;
      case 7:
        want(tag, 2);
        req.errorDetail = rpcStatus(r.sub());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  // Own properties even for a key like "__proto__" (a client string).
  if (versions.length) req.initialResourceVersions = Object.fromEntries(versions);
  return req;
}
