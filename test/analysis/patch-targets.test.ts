// MESH0243 PatchTargetWithoutProxy: mesh.patch() may list only services meshc runs a proxy for.
import { test } from "node:test";
import type { MeshIR, PatchIR } from "../../src/ir/types.js";
import { at, mesh, port, service, table } from "./ir-fixtures.js";

const withPatch = (ir: MeshIR, proxies: string[]): MeshIR => {
  const patch: PatchIR = { index: 0, kind: "cluster", proxies, source: at(30, 8) };
  return { ...ir, patches: [patch] };
};
const external = service("partner", {
  ports: [port("web", "http", 80, 80)],
  nonMesh: true,
  external: { hosts: ["partner.example"], resolution: "dns", source: at(5, 8) },
});
const legacy = service("legacy", { ports: [port("web", "http", 8090, 8090)], nonMesh: true });

table(test, "MESH0243", [
  { name: "a sidecar and a gateway-less mesh service", ir: withPatch(mesh(service("web"), service("api")), ["web", "api"]), expect: [] },
  {
    name: "an external service",
    ir: withPatch(mesh(service("web"), external), ["web", "partner"]),
    expect: [{ severity: "error", path: ["patches", 0, "proxies", 1], line: 30, column: 8 }],
  },
  {
    name: "a non-mesh service",
    ir: withPatch(mesh(service("web"), legacy), ["legacy"]),
    expect: [{ severity: "error", path: ["patches", 0, "proxies", 0], line: 30, column: 8 }],
  },
  {
    name: "a service not in the mesh",
    ir: withPatch(mesh(service("web")), ["ghost"]),
    expect: [{ severity: "error", path: ["patches", 0, "proxies", 0], line: 30, column: 8 }],
  },
]);
