// Shared by the registry tests of test/serve: a mesh whose catalog takes its instances from the registry, called by
// web, and the addresses web's proxy gets for catalog.
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import type { DiscoveryIR, MeshIR } from "../../src/ir/types.js";
import type { MeshSnapshot } from "../../src/snapshot/types.js";
import { mesh, port, service, withoutInstances } from "../analysis/ir-fixtures.js";

export function registryMesh(discovery: DiscoveryIR): MeshIR {
  const catalog = withoutInstances(service("catalog", { ports: [port("web", "http", 8080)], registry: { key: "catalog" } }));
  const web = service("web", { ports: [port("web", "http", 8081)], calls: ["catalog"] });
  return { ...mesh(catalog, web), discovery };
}

export function catalogAddresses(s: MeshSnapshot): string[] {
  const r = s.proxies.get("web")!.resources.endpoint.find((x) => x.name === "outbound|8080||catalog")!;
  const cla = canonicalOf("endpoint", r) as { endpoints?: { lb_endpoints: { endpoint: { address: { socket_address: { address: string } } } }[] }[] };
  return (cla.endpoints ?? []).flatMap((l) => l.lb_endpoints.map((e) => e.endpoint.address.socket_address.address));
}
