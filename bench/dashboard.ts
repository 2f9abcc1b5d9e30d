// What the live views cost as the mesh grows: building the status report (/debug/status, each dashboard event) for
// N connected proxies, its JSON size, and rendering the service graph of a mesh with S services to SVG (WebAssembly
// Graphviz). Pure computation on synthetic input, one process; prints a table.
//   node --import tsx bench/dashboard.ts [--proxies 100,1000,2000] [--services 10,50,200]
import { renderSvg } from "../src/graph/svg.js";
import type { GraphModel } from "../src/graph/model.js";
import { buildStatus } from "../src/serve/status.js";
import type { MeshSnapshot, ProxySnapshot } from "../src/snapshot/types.js";
import type { ProxyStatus } from "../src/xds/index.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return (i > 0 ? process.argv[i + 1]! : def).split(",").map(Number);
};

const time = (f: () => unknown, runs = 20) => {
  f();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) f();
  return (performance.now() - t0) / runs;
};

console.log("proxies  services  report ms  report KiB");
for (const n of arg("proxies", "100,1000,2000")) {
  const services = Math.max(1, Math.round(n / 10));
  const versions = { cluster: "c1", endpoint: "e1", listener: "l1", route: "r1", secret: "" };
  const proxies = new Map<string, ProxySnapshot>();
  for (let s = 0; s < services; s++) proxies.set(`svc-${s}`, { service: `svc-${s}`, resources: { cluster: [], endpoint: [], listener: [], route: [], secret: [] }, versions });
  const snap: MeshSnapshot = { proxies };
  const streams: ProxyStatus[] = [];
  for (let i = 0; i < n; i++) {
    const service = `svc-${i % services}`;
    streams.push({
      streamId: i, api: "sotw", service, node: { id: `${service}-${i}`, cluster: service, userAgentName: "envoy", userAgentVersion: "1.40.0", clientFeatures: [] },
      peer: `127.0.0.1:${10000 + i}`, connectedSince: new Date().toISOString(),
      acked: { cluster: "c1", endpoint: "e1", listener: i % 50 ? "l1" : "l0", route: "r1" }, sent: { cluster: "c1", endpoint: "e1", listener: "l1", route: "r1" },
      sentAt: { listener: new Date().toISOString() }, nacked: {}, pending: [], nacks: 0,
    });
  }
  const ms = time(() => buildStatus(snap, streams));
  const kib = JSON.stringify(buildStatus(snap, streams)).length / 1024;
  console.log(`${String(n).padStart(7)}  ${String(services).padStart(8)}  ${ms.toFixed(2).padStart(9)}  ${kib.toFixed(0).padStart(9)}`);
}

console.log("\nservices  edges  svg ms  svg KiB");
for (const s of arg("services", "10,50,200")) {
  const g: GraphModel = { mesh: "bench", nodes: [], edges: [] };
  for (let i = 0; i < s; i++) g.nodes.push({ id: `svc-${i}`, kind: "sidecar", ports: [{ name: "http", protocol: "http", port: 8080 }], subsets: [] });
  for (let i = 1; i < s; i++) g.edges.push({ from: `svc-${Math.floor((i - 1) / 3)}`, to: `svc-${i}`, kind: "call", protocols: ["http"], splits: [] });
  await renderSvg(g); // WebAssembly instance, once
  const t0 = performance.now();
  const svg = await renderSvg(g);
  console.log(`${String(s).padStart(8)}  ${String(g.edges.length).padStart(5)}  ${(performance.now() - t0).toFixed(0).padStart(6)}  ${(svg.length / 1024).toFixed(0).padStart(7)}`);
}
