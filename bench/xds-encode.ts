// What encode-once buys: the cost of one proxy's DiscoveryResponse (every type, synthetic mesh) written by
// concatenation around the shared pre-encoded bytes, against re-encoding the resources from message objects per
// proxy (what a server without the shared bytes would do).
//
//   node --import tsx bench/xds-encode.ts [--services 200]
import { messageType } from "../src/backends/envoy/api/registry.js";
import { translateMesh } from "../src/backends/envoy/translate.js";
import { PUSH_ORDER, type EncodedResource } from "../src/snapshot/types.js";
import { serializeSotwResponse, wireStats } from "../src/xds/wire.js";
import { syntheticMesh } from "./synthetic-ir.js";

const services = Number(process.argv[process.argv.indexOf("--services") + 1] || 200);
const { snapshot } = translateMesh(syntheticMesh({ services }));
const proxies = [...snapshot.proxies.values()];

function timeIt(label: string, fn: () => number, iterations: number): void {
  let bytes = 0;
  for (let i = 0; i < Math.min(iterations, 50); i++) bytes += fn(); // warm up
  bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) bytes += fn();
  const us = ((performance.now() - t0) * 1000) / iterations;
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(8)} µs/proxy  (${(bytes / iterations / 1024).toFixed(1)} KiB)`);
}

const typeOf = new Map(PUSH_ORDER.map((k) => [k, messageType(proxies[0]!.resources[k][0]?.typeUrl.split("/")[1] ?? "google.protobuf.Empty")]));
const objects = proxies.map((p) =>
  PUSH_ORDER.map((k) => p.resources[k].map((r) => ({ r, obj: typeOf.get(k)!.toObject(typeOf.get(k)!.decode(r.bytes)) }))),
);
const discovery = messageType("envoy.service.discovery.v3.DiscoveryResponse");

let i = 0;
const next = () => proxies[i++ % proxies.length]!;
timeIt("concat around shared bytes (Any wrappers cached)", () => {
  const p = next();
  let n = 0;
  for (const k of PUSH_ORDER) n += serializeSotwResponse({ versionInfo: p.versions[k], typeUrl: p.resources[k][0]?.typeUrl ?? "", nonce: "1", resources: p.resources[k] }).length;
  return n;
}, 2000);

timeIt("concat, Any wrappers rebuilt (fresh resource objects)", () => {
  const p = next();
  let n = 0;
  for (const k of PUSH_ORDER) {
    const fresh: EncodedResource[] = p.resources[k].map((r) => ({ ...r }));
    n += serializeSotwResponse({ versionInfo: p.versions[k], typeUrl: fresh[0]?.typeUrl ?? "", nonce: "1", resources: fresh }).length;
  }
  return n;
}, 2000);

let j = 0;
timeIt("re-encode from message objects per proxy (protobufjs)", () => {
  const per = objects[j++ % objects.length]!;
  let n = 0;
  PUSH_ORDER.forEach((k, idx) => {
    const t = typeOf.get(k)!;
    const resources = per[idx]!.map(({ r, obj }) => ({ type_url: r.typeUrl, value: t.encode(t.fromObject(obj)).finish() }));
    n += discovery.encode(discovery.fromObject({ version_info: "v", type_url: t.fullName, nonce: "1", resources })).finish().length;
  });
  return n;
}, 300);
console.log(`(${proxies.length} proxies of the synthetic mesh; Any wrappers built in total: ${wireStats.anyEncodes})`);
