// localityFailover names localities at their level and within their parent (src/backends/envoy/endpoints.ts,
// resolveFailoverEntry): a zone is only the caller's own zone within the caller's region, a bare sub-zone name is
// a sub-zone (it was ignored), a "region/zone[/subZone]" path names exactly one locality, and a bare name that
// denotes several localities never matches all of them. Checked on the full translation (the caller's snapshot)
// and on buildLoadAssignment / ClusterGroups directly.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { ClusterGroups } from "../../src/backends/envoy/endpoint-groups.js";
import { buildLoadAssignment, failoverOrder } from "../../src/backends/envoy/endpoints.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { LocalityIR, ServiceIR } from "../../src/ir/types.js";
import { endpoint, mesh, port, service } from "../analysis/ir-fixtures.js";

const api = (failover: string[], localities: LocalityIR[]): ServiceIR =>
  service("api", {
    ports: [port("web", "http", 8080, 3000)],
    instances: { kind: "static", endpoints: localities.map((l, i) => endpoint(`10.0.0.${i + 1}`, 8080, {}, { locality: l })) },
    policy: { localityFailover: failover },
  });

// The reviewer's layout: api in eu/eu-a/rack1, eu/eu-a/rack2, us/a, ap/a.
const LAYOUT: LocalityIR[] = [
  { region: "eu", zone: "eu-a", subZone: "rack1" },
  { region: "eu", zone: "eu-a", subZone: "rack2" },
  { region: "us", zone: "a" },
  { region: "ap", zone: "a" },
];

const path = (l: { region?: string; zone?: string; sub_zone?: string }) => [l.region ?? "", l.zone ?? "", l.sub_zone ?? ""].filter((x, i) => x || i < 2).join("/");

/** "priority:region/zone[/subZone]" of each group of api's assignment as a caller in `caller` sees it. */
function seen(s: ServiceIR, caller: LocalityIR | undefined): string[] {
  const ref = { service: s, port: s.ports[0]! };
  const order = failoverOrder(s, caller);
  const a = buildLoadAssignment(ref, order, []);
  assert.deepEqual(new ClusterGroups(ref).assignment(order, []), a, "ClusterGroups agrees with buildLoadAssignment");
  return a.endpoints!.map((e) => `${e.priority ?? 0}:${path(e.locality!)}`);
}

describe("locality failover priorities", () => {
  test("the reviewer's layout, through the caller's snapshot: only us/a at priority 0, racks in the listed order", () => {
    const up = api(["rack2", "rack1", "ap"], LAYOUT);
    const web = service("web", { calls: ["api"], instances: { kind: "static", endpoints: [endpoint("10.1.0.1", 8080, {}, { locality: { region: "us", zone: "a" } })] } });
    const { snapshot, issues } = translateMesh(mesh(up, web));
    assert.deepEqual(issues, []);
    const r = snapshot.proxies.get("web")!.resources.endpoint.find((x) => x.name === "outbound|8080||api")!;
    const c = canonicalOf("endpoint", r) as { endpoints: { locality: { region?: string; zone?: string; sub_zone?: string }; priority?: number }[] };
    assert.deepEqual(
      c.endpoints.map((e) => `${e.priority ?? 0}:${path(e.locality)}`),
      ["0:us/a", "1:eu/eu-a/rack2", "2:eu/eu-a/rack1", "3:ap/a"],
    );
  });

  test("a caller's own zone is its zone within its region, never a zone of the same name elsewhere", () => {
    const up = api(["eu"], LAYOUT);
    assert.deepEqual(seen(up, { region: "us", zone: "a" }), ["0:us/a", "1:eu/eu-a/rack1", "1:eu/eu-a/rack2", "2:ap/a"]);
    assert.deepEqual(seen(up, { region: "ap", zone: "a" }), ["0:ap/a", "1:eu/eu-a/rack1", "1:eu/eu-a/rack2", "2:us/a"]);
  });

  test("sub-zones: bare names and paths are each their own level", () => {
    assert.deepEqual(seen(api(["rack2", "rack1"], LAYOUT), { region: "ap", zone: "a" }), ["0:ap/a", "1:eu/eu-a/rack2", "2:eu/eu-a/rack1", "3:us/a"]);
    // Within the caller's own zone its sub-zones share priority 0 (a proxy reports no sub-zone), as in Istio.
    assert.deepEqual(seen(api(["rack2", "rack1"], LAYOUT), { region: "eu", zone: "eu-a" }), ["0:eu/eu-a/rack1", "0:eu/eu-a/rack2", "1:ap/a", "1:us/a"]);
    assert.deepEqual(seen(api(["eu/eu-a/rack1", "us/a"], LAYOUT), { region: "ap", zone: "a" }), ["0:ap/a", "1:eu/eu-a/rack1", "2:us/a", "3:eu/eu-a/rack2"]);
  });

  test("a bare zone name of several regions means the caller's region's, else none of them", () => {
    const locs: LocalityIR[] = [
      { region: "us", zone: "a" },
      { region: "us", zone: "b" },
      { region: "ap", zone: "a" },
      { region: "ap", zone: "b" },
      { region: "eu", zone: "c" },
    ];
    const up = api(["b", "a"], locs);
    // From us or ap they are zones of the caller's own region (already first): the other region is not preferred.
    assert.deepEqual(seen(up, { region: "us", zone: "c" }), ["0:us/a", "0:us/b", "1:ap/a", "1:ap/b", "1:eu/c"]);
    assert.deepEqual(seen(up, { region: "ap", zone: "a" }), ["0:ap/a", "1:ap/b", "2:eu/c", "2:us/a", "2:us/b"]);
    // From eu, "a" and "b" are ambiguous: they match nothing rather than both regions.
    assert.deepEqual(seen(up, { region: "eu", zone: "c" }), ["0:eu/c", "1:ap/a", "1:ap/b", "1:us/a", "1:us/b"]);
    // Paths name one region's zones.
    assert.deepEqual(seen(api(["ap/b", "us/a"], locs), { region: "eu", zone: "c" }), ["0:eu/c", "1:ap/b", "2:us/a", "3:ap/a", "3:us/b"]);
  });

  test("globally unique zone names keep matching across regions, and a region name a region", () => {
    const locs: LocalityIR[] = [
      { region: "eu", zone: "eu-1a" },
      { region: "eu", zone: "eu-1b" },
      { region: "us", zone: "us-1a" },
    ];
    assert.deepEqual(seen(api(["eu-1b", "eu-1a"], locs), { region: "us", zone: "us-1a" }), ["0:us/us-1a", "1:eu/eu-1b", "2:eu/eu-1a"]);
    assert.deepEqual(seen(api(["eu-1b", "eu-1a"], locs), undefined), ["0:eu/eu-1b", "1:eu/eu-1a", "2:us/us-1a"]);
    assert.deepEqual(seen(api(["us"], locs), { region: "eu", zone: "eu-1a" }), ["0:eu/eu-1a", "1:eu/eu-1b", "2:us/us-1a"]);
  });
});
