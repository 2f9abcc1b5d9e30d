// ClusterGroups (src/backends/envoy/endpoint-groups.ts) builds each EDS cluster's locality groups once and gives
// every caller locality its ClusterLoadAssignment from them; it must equal buildLoadAssignment's, key order
// included (the JSON is what the encoder and the build's files see), with the same issues, for every cluster of
// the backend cases and the synthetic meshes and every failover order a caller can see, plus random ones.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { ClusterGroups, groupBase } from "../../src/backends/envoy/endpoint-groups.js";
import { buildLoadAssignment, failoverOrder } from "../../src/backends/envoy/endpoints.js";
import type { EnvoyIssue } from "../../src/backends/envoy/api/issues.js";
import type { ClusterRef } from "../../src/backends/envoy/clusters.js";
import type { LocalityIR, MeshIR, ServiceIR } from "../../src/ir/types.js";
import { caseNames, loadCase } from "./cases.js";
import { service } from "../analysis/ir-fixtures.js";

const meshes: MeshIR[] = [...caseNames().map(loadCase), syntheticMesh({ services: 20 }), syntheticMesh({ services: 8, failover: false })];

function refsOf(s: ServiceIR): ClusterRef[] {
  return s.ports.flatMap((port) => [{ service: s, port }, ...s.subsets.map((x) => ({ service: s, port, subset: x.name }))]);
}

function same(ref: ClusterRef, order: string[] | undefined, groups: ClusterGroups): void {
  const want: EnvoyIssue[] = [];
  const got: EnvoyIssue[] = [];
  const a = buildLoadAssignment(ref, order, want);
  const b = groups.assignment(order, got);
  assert.equal(JSON.stringify(b), JSON.stringify(a), `${ref.service.name}/${ref.port.name}/${ref.subset ?? ""} order ${order}`);
  assert.deepEqual(got, want);
}

test("every cluster's assignment, for every caller locality, equals buildLoadAssignment's", () => {
  let checked = 0;
  for (const ir of meshes) {
    const locs: (LocalityIR | undefined)[] = [undefined];
    for (const s of ir.services) if (s.instances.kind === "static") for (const e of s.instances.endpoints) locs.push(e.locality);
    for (const s of ir.services) {
      for (const ref of refsOf(s)) {
        const groups = new ClusterGroups(ref);
        for (const loc of locs) {
          same(ref, failoverOrder(s, loc), groups);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 100);
});

test("random failover orders, endpoint weights, ports and addresses give what buildLoadAssignment gives", () => {
  const base = syntheticMesh({ services: 4 });
  const zones = ["a", "b", "c", "d"];
  fc.assert(
    fc.property(
      fc.array(fc.record({ zone: fc.constantFrom(...zones, undefined), region: fc.constantFrom("r1", "r2", undefined), weight: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), ip: fc.boolean() }), { minLength: 0, maxLength: 8 }),
      fc.option(fc.uniqueArray(fc.constantFrom(...zones, "r1", "r2", "r1/a", "r2/b", "/c")), { nil: undefined }),
      fc.option(fc.record({ zone: fc.constantFrom(...zones, undefined), region: fc.constantFrom("r1", "r2", undefined) }), { nil: undefined }),
      (eps, list, caller) => {
        const s = structuredClone(base.services[0]!);
        if (s.instances.kind !== "static") return;
        const template = s.instances.endpoints[0]!;
        s.instances.endpoints = eps.map((e, i) => ({
          ...structuredClone(template),
          address: e.ip ? `10.1.0.${i + 1}` : `host-${i}.example`,
          locality: { ...(e.region !== undefined && { region: e.region }), ...(e.zone !== undefined && { zone: e.zone }) },
          ...(e.weight !== undefined && { weight: e.weight }),
        }));
        s.policy = { ...s.policy, localityFailover: list ?? undefined };
        const loc = caller ? { ...(caller.region !== undefined && { region: caller.region }), ...(caller.zone !== undefined && { zone: caller.zone }) } : undefined;
        const order = failoverOrder(s, loc);
        for (const ref of refsOf(s)) same(ref, order, new ClusterGroups(ref));
      },
    ),
    { numRuns: 300 },
  );
});

test("assignments share their group objects, so the encoder finds each group without its JSON", () => {
  const ir = syntheticMesh({ services: 6 });
  const s = ir.services.find((x) => x.policy.localityFailover?.length)!;
  const groups = new ClusterGroups({ service: s, port: s.ports[0]! });
  const locs = s.instances.kind === "static" ? s.instances.endpoints.map((e) => e.locality) : [];
  const a = groups.assignment(failoverOrder(s, locs[0]), []);
  const b = groups.assignment(failoverOrder(s, locs.at(-1)), []);
  assert.ok(a.endpoints!.length > 1);
  for (const g of a.endpoints!) {
    const base = groupBase(g)!;
    assert.ok(base, "a group ClusterGroups built");
    assert.ok(b.endpoints!.some((h) => groupBase(h) === base), "the other locality's assignment has the same group object");
  }
  assert.equal(groupBase({ ...a.endpoints![0]! }), undefined, "a copy is not a built group");
});

test("localities whose names hold \"/\" stay apart (they were keyed by a \"/\"-joined string and merged)", () => {
  const s: ServiceIR = {
    ...service("api"),
    instances: {
      kind: "static",
      endpoints: [
        { address: "10.0.0.1", ports: { http: 8080 }, labels: {}, locality: { region: "a", zone: "b/c" } },
        { address: "10.0.0.2", ports: { http: 8080 }, labels: {}, locality: { region: "a/b", zone: "c" } },
      ],
    },
  };
  const ref: ClusterRef = { service: s, port: s.ports[0]! };
  const issues: EnvoyIssue[] = [];
  const groups = buildLoadAssignment(ref, undefined, issues).endpoints ?? [];
  assert.deepEqual(
    groups.map((g) => [g.locality, g.lb_endpoints?.map((e) => e.endpoint?.address?.socket_address?.address)]),
    [
      [{ region: "a", zone: "b/c" }, ["10.0.0.1"]],
      [{ region: "a/b", zone: "c" }, ["10.0.0.2"]],
    ],
  );
  same(ref, undefined, new ClusterGroups(ref));
});
