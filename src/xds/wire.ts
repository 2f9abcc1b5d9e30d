// The ADS wire format: the server's request decoders (./request-decode.ts, no reflection), a hand-written grpc-js
// service definition for clients (tests, bench; the server uses only its paths), and responses are written by concatenation around the
// pre-encoded resource bytes. A resource's Any (and Delta Resource) wrapper is built once per distinct
// EncodedResource and shared by every response and every proxy that carries it; nothing is re-encoded per proxy.
import protobuf from "protobufjs";
import type { ServiceDefinition } from "@grpc/grpc-js";
import { messageType } from "../backends/envoy/api/registry.js";
import type { EncodedResource } from "../snapshot/types.js";
import { readDeltaRequest, readSotwRequest } from "./request-decode.js";

export interface NodeInfo {
  id: string;
  cluster: string;
  userAgentName: string;
  userAgentVersion: string;
  locality?: { region: string; zone: string; sub_zone: string };
  clientFeatures: string[];
}

/** google.rpc.Status as carried in `error_detail`. */
export interface RpcStatus {
  code: number;
  message: string;
}

export interface SotwRequest {
  versionInfo: string;
  node?: NodeInfo;
  resourceNames: string[];
  typeUrl: string;
  responseNonce: string;
  errorDetail?: RpcStatus;
}

export interface DeltaRequest {
  node?: NodeInfo;
  typeUrl: string;
  subscribe: string[];
  unsubscribe: string[];
  initialResourceVersions: Record<string, string>;
  responseNonce: string;
  errorDetail?: RpcStatus;
}

/** What the server writes: resources by reference, serialized only when the stream actually sends the message. */
export interface SotwResponseOut {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: readonly EncodedResource[];
}

export interface DeltaResponseOut {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: readonly EncodedResource[];
  removed: readonly string[];
}

/** Client side (tests, bench): a decoded resource. `name` is read from field 1, which every xDS resource uses. */
export interface DecodedResource {
  name: string;
  typeUrl: string;
  bytes: Uint8Array;
  /** Delta only: the per-resource version. */
  version?: string;
}

export interface SotwResponseIn {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: DecodedResource[];
  controlPlane: string;
}

export interface DeltaResponseIn {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  resources: DecodedResource[];
  removed: string[];
}

/** Counters proving the encode-once property (read by tests and the bench). */
export const wireStats = {
  /** Any wrappers built: one per distinct EncodedResource object, however many proxies receive it. */
  anyEncodes: 0,
  /** Delta `Resource` wrappers built, same rule. */
  deltaResourceEncodes: 0,
  responses: 0,
  responseBytes: 0,
};

export const CONTROL_PLANE_ID = "meshc";

const T = {
  get discoveryRequest() {
    return messageType("envoy.service.discovery.v3.DiscoveryRequest");
  },
  get deltaRequest() {
    return messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  },
  get discoveryResponse() {
    return messageType("envoy.service.discovery.v3.DiscoveryResponse");
  },
  get deltaResponse() {
    return messageType("envoy.service.discovery.v3.DeltaDiscoveryResponse");
  },
};

// ---- request decoding (server side) ----

/** DiscoveryRequest as the server reads it (./request-decode.ts: no reflection; strict UTF-8; throws on bad wire data). */
export function decodeSotwRequest(buf: Buffer): SotwRequest {
  return readSotwRequest(buf);
}

/** DeltaDiscoveryRequest as the server reads it (./request-decode.ts). */
export function decodeDeltaRequest(buf: Buffer): DeltaRequest {
  return readDeltaRequest(buf);
}

// ---- request encoding (client side: tests, bench) ----

function pbNode(n: NodeInfo | undefined): object | undefined {
  if (!n) return undefined;
  return {
    id: n.id,
    cluster: n.cluster,
    user_agent_name: n.userAgentName,
    user_agent_version: n.userAgentVersion,
    client_features: n.clientFeatures,
    ...(n.locality ? { locality: n.locality } : {}),
  };
}

export function encodeSotwRequest(r: SotwRequest): Buffer {
  const t = T.discoveryRequest;
  const msg = t.fromObject({
    version_info: r.versionInfo,
    node: pbNode(r.node),
    resource_names: r.resourceNames,
    type_url: r.typeUrl,
    response_nonce: r.responseNonce,
    error_detail: r.errorDetail,
  });
  return asBuffer(t.encode(msg).finish());
}

export function encodeDeltaRequest(r: DeltaRequest): Buffer {
  const t = T.deltaRequest;
  const msg = t.fromObject({
    node: pbNode(r.node),
    type_url: r.typeUrl,
    resource_names_subscribe: r.subscribe,
    resource_names_unsubscribe: r.unsubscribe,
    initial_resource_versions: r.initialResourceVersions,
    response_nonce: r.responseNonce,
    error_detail: r.errorDetail,
  });
  return asBuffer(t.encode(msg).finish());
}

// ---- response encoding (server side) ----

const anyCache = new WeakMap<EncodedResource, Uint8Array>();
const deltaCache = new WeakMap<EncodedResource, Uint8Array>();

/**
 * DiscoveryResponse field 2 (resources) holding the google.protobuf.Any {type_url = 1, value = 2} around the
 * resource's bytes: tag, length, Any, built once per resource object, so a response copies each resource in one go.
 */
const anyFieldCache = new WeakMap<EncodedResource, Buffer>();

function anyField(r: EncodedResource): Buffer {
  let f = anyFieldCache.get(r);
  if (!f) {
    // Written directly (what protobufjs's Writer produced, without its op list): 0x0a len type_url 0x12 len value.
    const url = Buffer.byteLength(r.typeUrl);
    const value = r.bytes.length;
    const any = 2 + varintSize(url) + url + varintSize(value) + value;
    const head = 1 + varintSize(any);
    f = Buffer.allocUnsafe(head + any);
    f[0] = (2 << 3) | 2;
    writeVarint(f, 1, any);
    let pos = head;
    f[pos++] = (1 << 3) | 2;
    pos = writeVarint(f, pos, url);
    pos += f.write(r.typeUrl, pos, "utf8");
    f[pos++] = (2 << 3) | 2;
    pos = writeVarint(f, pos, value);
    f.set(r.bytes, pos);
    anyFieldCache.set(r, f);
    wireStats.anyEncodes++;
  }
  return f;
}

/** Builds (once) the resource's wire field ahead of its first response (./prewarm.ts). */
export function prepareResource(r: EncodedResource): void {
  anyField(r);
}

/** google.protobuf.Any {type_url = 1, value = 2} around the resource's bytes, built once per resource object. */
export function anyBytes(r: EncodedResource): Uint8Array {
  let b = anyCache.get(r);
  if (!b) {
    const f = anyField(r);
    let head = 1;
    while (f[head++]! & 0x80); // past the field's length varint
    b = f.subarray(head);
    anyCache.set(r, b);
  }
  return b;
}

/** envoy.service.discovery.v3.Resource {version = 1, resource = 2 (Any), name = 3}, built once per resource object. */
export function deltaResourceBytes(r: EncodedResource): Uint8Array {
  let b = deltaCache.get(r);
  if (!b) {
    b = protobuf.Writer.create()
      .uint32((1 << 3) | 2)
      .string(r.hash)
      .uint32((2 << 3) | 2)
      .bytes(anyBytes(r))
      .uint32((3 << 3) | 2)
      .string(r.name)
      .finish();
    deltaCache.set(r, b);
    wireStats.deltaResourceEncodes++;
  }
  return b;
}

// ControlPlane {identifier = 1}: lets a proxy's config dump say who configured it.
const controlPlaneBytes = protobuf.Writer.create().uint32((1 << 3) | 2).string(CONTROL_PLANE_ID).finish();

/**
 * DiscoveryResponse {version_info = 1, resources = 2, type_url = 4, nonce = 5, control_plane = 6}, written straight
 * into one buffer of the exact size (the cached Any wrappers copied in): a full sync writes thousands of these.
 */
export function serializeSotwResponse(res: SotwResponseOut): Buffer {
  return writeSotwResponse(res, 0);
}

/**
 * The response as one gRPC message ready for the wire: the 5-byte length prefix (uncompressed) and the
 * DiscoveryResponse written behind it in one buffer, so the transport writes it without a framing copy
 * (src/xds/grpc-transport.ts `writeFramed`). Equal to `frameMessage(serializeSotwResponse(res))`.
 */
export function serializeSotwResponseFramed(res: SotwResponseOut): Buffer {
  return writeSotwResponse(res, GRPC_PREFIX);
}

/** gRPC's message prefix: 1 flag byte (0: uncompressed) and a 4-byte big-endian length. */
const GRPC_PREFIX = 5;

/** DiscoveryResponse field 4 (type_url) with its tag and length, by URL (the served types': a handful). */
const typeUrlFields = new Map<string, Buffer>();

function typeUrlField(url: string): Buffer {
  let f = typeUrlFields.get(url);
  if (!f) {
    const len = Buffer.byteLength(url);
    f = Buffer.allocUnsafe(1 + varintSize(len) + len);
    f[0] = (4 << 3) | 2;
    f.write(url, writeVarint(f, 1, len), "utf8");
    if (typeUrlFields.size < 64) typeUrlFields.set(url, f);
  }
  return f;
}

/** DiscoveryResponse field 6 (control_plane) with its tag and length: the same in every response. */
const controlPlaneField = Buffer.concat([Buffer.from([(6 << 3) | 2]), varintBytes(controlPlaneBytes.length), controlPlaneBytes]);

function writeSotwResponse(res: SotwResponseOut, prefix: number): Buffer {
  const resources = res.resources;
  const fields: Buffer[] = new Array(resources.length);
  let size = 0;
  for (let i = 0; i < resources.length; i++) {
    const f = anyField(resources[i]!);
    fields[i] = f;
    size += f.length;
  }
  const version = res.versionInfo ? Buffer.byteLength(res.versionInfo) : 0;
  const typeField = typeUrlField(res.typeUrl);
  const nonce = Buffer.byteLength(res.nonce);
  size += (version ? 1 + varintSize(version) + version : 0) + typeField.length + 1 + varintSize(nonce) + nonce + controlPlaneField.length;
  const out = Buffer.allocUnsafe(prefix + size);
  if (prefix) {
    out[0] = 0;
    out[1] = size >>> 24;
    out[2] = (size >>> 16) & 0xff;
    out[3] = (size >>> 8) & 0xff;
    out[4] = size & 0xff;
  }
  let pos = prefix;
  if (version) {
    out[pos++] = (1 << 3) | 2;
    pos = writeVarint(out, pos, version);
    pos += out.write(res.versionInfo, pos, "utf8");
  }
  for (const f of fields) {
    out.set(f, pos);
    pos += f.length;
  }
  out.set(typeField, pos);
  pos += typeField.length;
  out[pos++] = (5 << 3) | 2;
  pos = writeVarint(out, pos, nonce);
  pos += out.write(res.nonce, pos, "utf8");
  out.set(controlPlaneField, pos);
  pos += controlPlaneField.length;
  if (pos !== prefix + size) throw new Error(`DiscoveryResponse size ${pos - prefix} != ${size}`);
  wireStats.responses++;
  wireStats.responseBytes += size;
  return out;
}

function varintBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(varintSize(n));
  writeVarint(b, 0, n);
  return b;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[pos++] = n;
  return pos;
}

/** DeltaDiscoveryResponse {system_version_info = 1, resources = 2, type_url = 4, nonce = 5, removed_resources = 6, control_plane = 7}. */
export function serializeDeltaResponse(res: DeltaResponseOut): Buffer {
  const w = protobuf.Writer.create();
  if (res.systemVersionInfo) w.uint32((1 << 3) | 2).string(res.systemVersionInfo);
  for (const r of res.resources) w.uint32((2 << 3) | 2).bytes(deltaResourceBytes(r));
  w.uint32((4 << 3) | 2).string(res.typeUrl);
  w.uint32((5 << 3) | 2).string(res.nonce);
  for (const name of res.removed) w.uint32((6 << 3) | 2).string(name);
  w.uint32((7 << 3) | 2).bytes(controlPlaneBytes);
  return count(asBuffer(w.finish()));
}

function count(b: Buffer): Buffer {
  wireStats.responses++;
  wireStats.responseBytes += b.length;
  return b;
}

// ---- response decoding (client side: tests, bench) ----

/** Field 1 (a string) of an encoded resource: `name` for Listener, Cluster, RouteConfiguration and Secret, `cluster_name` for ClusterLoadAssignment. */
export function resourceName(bytes: Uint8Array): string {
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) return r.string();
    r.skipType(tag & 7);
  }
  return "";
}

interface PbAny {
  type_url: string;
  value: Uint8Array;
}

export function decodeSotwResponse(buf: Buffer): SotwResponseIn {
  const m = T.discoveryResponse.decode(buf) as unknown as {
    version_info: string;
    resources: PbAny[];
    type_url: string;
    nonce: string;
    control_plane: { identifier: string } | null;
  };
  return {
    versionInfo: m.version_info ?? "",
    typeUrl: m.type_url ?? "",
    nonce: m.nonce ?? "",
    resources: (m.resources ?? []).map((a) => ({ name: resourceName(a.value), typeUrl: a.type_url, bytes: a.value })),
    controlPlane: m.control_plane?.identifier ?? "",
  };
}

export function decodeDeltaResponse(buf: Buffer): DeltaResponseIn {
  const m = T.deltaResponse.decode(buf) as unknown as {
    system_version_info: string;
    resources: { name: string; version: string; resource: PbAny | null }[];
    type_url: string;
    nonce: string;
    removed_resources: string[];
  };
  return {
    systemVersionInfo: m.system_version_info ?? "",
    typeUrl: m.type_url ?? "",
    nonce: m.nonce ?? "",
    resources: (m.resources ?? []).map((r) => ({
      name: r.name,
      version: r.version,
      typeUrl: r.resource?.type_url ?? "",
      bytes: r.resource?.value ?? new Uint8Array(),
    })),
    removed: [...(m.removed_resources ?? [])],
  };
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

// ---- the service ----

export const ADS_SERVICE = "envoy.service.discovery.v3.AggregatedDiscoveryService";

/** Server and client see different response types (prepared vs decoded), so each method is typed per side. */
interface AdsMethod<Req, ResOut, ResIn> {
  path: string;
  requestStream: true;
  responseStream: true;
  requestSerialize(r: Req): Buffer;
  requestDeserialize(b: Buffer): Req;
  responseSerialize(r: ResOut): Buffer;
  responseDeserialize(b: Buffer): ResIn;
  originalName: string;
}

export type AdsServiceDefinition = ServiceDefinition & {
  StreamAggregatedResources: AdsMethod<SotwRequest, SotwResponseOut, SotwResponseIn>;
  DeltaAggregatedResources: AdsMethod<DeltaRequest, DeltaResponseOut, DeltaResponseIn>;
};

/**
 * One definition for both ends: the server uses request*Deserialize / response*Serialize, the protocol test
 * client and the load generator use the other two. `originalName` keeps grpc-js from camel-casing the methods.
 */
export const adsService: AdsServiceDefinition = {
  StreamAggregatedResources: {
    path: `/${ADS_SERVICE}/StreamAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeSotwRequest,
    requestDeserialize: decodeSotwRequest,
    responseSerialize: serializeSotwResponse,
    responseDeserialize: decodeSotwResponse,
    originalName: "StreamAggregatedResources",
  },
  DeltaAggregatedResources: {
    path: `/${ADS_SERVICE}/DeltaAggregatedResources`,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeDeltaRequest,
    requestDeserialize: decodeDeltaRequest,
    responseSerialize: serializeDeltaResponse,
    responseDeserialize: decodeDeltaResponse,
    originalName: "DeltaAggregatedResources",
  },
};
