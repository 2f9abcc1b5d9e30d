// The Envoy backend's contracts beyond the goldens: shared resources, per-caller assignments, consistency,
// issues naming resource and field, and the assembled route configuration matching the codec byte for byte.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { encodeMessage } from "../../src/backends/envoy/api/codec.js";
import { checkConsistency } from "../../src/backends/envoy/consistency.js";
import { canonicalOf, ResourceEncoder } from "../../src/backends/envoy/encode.js";
import { failoverOrder } from "../../src/backends/envoy/endpoints.js";
import { endpointPort } from "../../src/backends/envoy/model.js";
import { integerWeights } from "../../src/backends/envoy/routes.js";
import { tcpUpstreams } from "../../src/backends/envoy/tcp.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { MeshIR, ServiceIR } from "../../src/ir/types.js";
import { makeProxySnapshot } from "../../src/snapshot/build.js";
import type { ProxySnapshot, ResourceKind } from "../../src/snapshot/types.js";
import { loadCase, translateCase } from "./cases.js";

const find = (p: ProxySnapshot, kind: ResourceKind, name: string) => {
  const r = p.resources[kind].find((x) => x.name === name);
  assert.ok(r, `${p.service} has ${kind} ${name}`);
  return r;
};

describe("shared resources", () => {
  test("two callers of one upstream receive the very same Cluster object", () => {
    const { result } = translateCase("tcp-failover");
    const a = result.snapshot.proxies.get("api-eu-a")!;
    const b = result.snapshot.proxies.get("api-eu-b")!;
    const ca = find(a, "cluster", "outbound|9200||search");
    assert.equal(ca, find(b, "cluster", "outbound|9200||search")); // ===
    assert.equal(ca.hash.length, 16);
    // The outbound listener names only its RDS config, so sidecars with the same outbound port share it too.
    assert.equal(find(a, "listener", "outbound|15001|http"), find(b, "listener", "outbound|15001|http"));
  });

  test("assignments follow the caller's locality: its own zone, then its region, then the failover list", () => {
    const { result } = translateCase("tcp-failover");
    const cla = (svc: string) => find(result.snapshot.proxies.get(svc)!, "endpoint", "outbound|5432||db");
    const zonesByPriority = (svc: string) => {
      const c = canonicalOf("endpoint", cla(svc)) as { endpoints: { locality: { zone: string }; priority?: number }[] };
      return c.endpoints.map((e) => `${e.priority ?? 0}:${e.locality.zone}`);
    };
    assert.deepEqual(zonesByPriority("api-eu-a"), ["0:eu-1a", "1:eu-1b", "2:us-1a"]);
    assert.deepEqual(zonesByPriority("api-eu-b"), ["0:eu-1b", "1:eu-1a", "2:us-1a"]);
    // api-us's zone is not in the list, but its own zone still comes first (as in Istio), then the list.
    assert.deepEqual(zonesByPriority("api-us"), ["0:us-1a", "1:eu-1a", "2:eu-1b"]);
    assert.notEqual(cla("api-eu-b").hash, cla("api-eu-a").hash);
    // Deterministic: translating again gives the same assignment.
    const again = translateCase("tcp-failover").result.snapshot.proxies;
    assert.equal(find(again.get("api-eu-a")!, "endpoint", "outbound|5432||db").hash, cla("api-eu-a").hash);
  });

  test("region-level failover and every locality weighted", () => {
    const { result } = translateCase("tcp-failover");
    const c = canonicalOf("endpoint", find(result.snapshot.proxies.get("api-us")!, "endpoint", "outbound|9200||search")) as {
      endpoints: { locality: { region: string }; priority?: number; load_balancing_weight?: { value: number } }[];
    };
    assert.deepEqual(c.endpoints.map((e) => [e.locality.region, e.priority ?? 0]), [["us", 0], ["eu", 1], ["eu", 1]]);
    for (const e of c.endpoints) assert.ok((e.load_balancing_weight?.value ?? 0) >= 1);
  });

  test("a 1,000-service mesh encodes each distinct resource once", () => {
    const ir = syntheticMesh({ services: 60 });
    const { snapshot, issues, stats } = translateMesh(ir);
    assert.deepEqual(issues, []);
    assert.equal(snapshot.proxies.size, 60);
    // Per proxy: 15 outbound + 1 inbound clusters, 15 assignments, 2 listeners, 1 route configuration.
    assert.equal(stats.resources, 60 * 34);
    // Each service's 3 instances are in 3 zones and every upstream has localityFailover (issue 13): one locality
    // variant per zone per proxy, whose assignments are the same for every caller in that zone.
    assert.equal(stats.variants, 60 * 3);
    // Distinct: 60 x 3 clusters + 1 shared inbound cluster, 180 assignments as seen from the region (the default)
    // and from each of the 3 zones, 2 listeners, 60 virtual hosts.
    assert.ok(stats.encodes <= 60 * 3 + 1 + 180 * 4 + 2 + 60, `encodes ${stats.encodes}`);
  });
});

describe("route configurations assembled from shared virtual hosts", () => {
  test("bytes and canonical form equal encoding the whole RouteConfiguration", () => {
    for (const [c, svc] of [["http-routing", "web"], ["proxyless", "client"], ["subsets-canary", "frontend"]] as const) {
      const { result } = translateCase(c);
      for (const r of result.snapshot.proxies.get(svc)!.resources.route) {
        const canonical = canonicalOf("route", r);
        const whole = encodeMessage("envoy.config.route.v3.RouteConfiguration", canonical, "x");
        assert.ok(whole.ok, `${c}/${r.name}`);
        assert.deepEqual(Buffer.from(whole.message.bytes), Buffer.from(r.bytes), `${c}/${r.name} bytes`);
        assert.deepEqual(whole.message.canonical, canonical);
      }
    }
  });
});

describe("cluster load assignments assembled from locality groups", () => {
  test("bytes and canonical form equal encoding the whole ClusterLoadAssignment (defaults and locality variants)", () => {
    const { snapshot } = translateMesh(syntheticMesh({ services: 12 }));
    let checked = 0;
    for (const p of snapshot.proxies.values()) {
      for (const v of [p, ...(p.variants?.values() ?? [])]) {
        for (const r of v.resources.endpoint) {
          const canonical = canonicalOf("endpoint", r);
          const whole = encodeMessage("envoy.config.endpoint.v3.ClusterLoadAssignment", canonical, "x");
          assert.ok(whole.ok, r.name);
          assert.deepEqual(Buffer.from(whole.message.bytes), Buffer.from(r.bytes), `${r.name} bytes`);
          assert.deepEqual(whole.message.canonical, canonical);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `checked ${checked}`);
  });

  test("two-byte priorities, an empty assignment and refused groups", () => {
    const enc = new ResourceEncoder();
    const group = (zone: string, priority?: number) => ({
      locality: { zone },
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: "10.0.0.1", port_value: 80 } } } }],
      load_balancing_weight: { value: 1 },
      ...(priority !== undefined && { priority }),
    });
    const same = (msg: object) => {
      const r = enc.loadAssignment("c", msg as never)!;
      const whole = encodeMessage("envoy.config.endpoint.v3.ClusterLoadAssignment", msg as never, "x");
      assert.ok(whole.ok);
      assert.deepEqual(Buffer.from(r.bytes), Buffer.from(whole.message.bytes));
      assert.deepEqual(canonicalOf("endpoint", r), whole.message.canonical);
      return r;
    };
    same({ cluster_name: "c", endpoints: [group("a"), group("b", 127), group("c", 128)] });
    same({ cluster_name: "c" });
    // Equal content: the very same object.
    assert.equal(same({ cluster_name: "c", endpoints: [group("a"), group("b", 1)] }), same({ cluster_name: "c", endpoints: [group("a"), group("b", 1)] }));
    // Priority over 128 and a weight of 0 break (validate.rules): refused with the whole assignment's issues.
    assert.equal(enc.loadAssignment("c", { cluster_name: "c", endpoints: [group("a", 129)] } as never), undefined);
    assert.equal(enc.loadAssignment("c", { cluster_name: "c", endpoints: [{ ...group("a"), load_balancing_weight: { value: 0 } }] } as never), undefined);
    assert.ok(enc.issues.some((i) => i.resource === 'ClusterLoadAssignment "c"' && /priority/.test(i.path)), JSON.stringify(enc.issues));
    assert.ok(enc.issues.some((i) => i.resource === 'ClusterLoadAssignment "c"' && /load_balancing_weight/.test(i.path)), JSON.stringify(enc.issues));
  });
});

describe("P-31 consistency (go-control-plane Consistent()): every snapshot is checked before it is published", () => {
  test("golden snapshots are consistent", () => {
    for (const c of ["http-routing", "tcp-failover", "proxyless"]) {
      for (const p of translateCase(c).result.snapshot.proxies.values()) assert.deepEqual(checkConsistency(p), [], `${c}/${p.service}`);
    }
  });

  test("a missing assignment, route configuration or cluster is reported", () => {
    const web = translateCase("http-routing").result.snapshot.proxies.get("web")!;
    const broken = makeProxySnapshot("web", {
      cluster: web.resources.cluster.filter((r) => r.name !== "outbound|8080||legacy"),
      endpoint: web.resources.endpoint.filter((r) => r.name !== "outbound|8080||reviews"),
      listener: web.resources.listener,
      route: [],
    });
    const issues = checkConsistency(broken).map((i) => `${i.resource} ${i.path}: ${i.message}`);
    assert.ok(issues.some((i) => i.startsWith('Cluster "outbound|8080||reviews" eds_cluster_config') && i.includes('ClusterLoadAssignment "outbound|8080||reviews"')), issues.join("\n"));
    assert.ok(issues.some((i) => i.startsWith('Listener "outbound|15001|http"') && i.includes('RouteConfiguration "outbound|15001|http"')), issues.join("\n"));
    const withRoutes = makeProxySnapshot("web", { ...broken.resources, route: web.resources.route });
    const missingCluster = checkConsistency(withRoutes).filter((i) => i.message.includes('Cluster "outbound|8080||legacy"'));
    assert.ok(missingCluster.length > 0 && missingCluster.every((i) => /request_mirror_policies|\.cluster$/.test(i.path)));
  });
});

describe("issues name the resource and field", () => {
  test("a header name Envoy's rules reject is reported once, not per caller", () => {
    const ir = loadCase("http-routing");
    const catalog = ir.services.find((s) => s.name === "catalog")!;
    catalog.routes[3]!.match.headers = [{ name: "bad\nname", match: { exact: "x" }, invert: false }];
    ir.services.push({ ...ir.services.find((s) => s.name === "web")!, name: "web2" });
    ir.services.sort((a, b) => (a.name < b.name ? -1 : 1));
    const { issues } = translateMesh(ir);
    const bad = issues.filter((i) => i.path.includes("headers"));
    assert.equal(bad.length, 2, JSON.stringify(issues, null, 2)); // two virtual hosts (ports 8080, 9102), one report each
    assert.equal(bad[0]!.resource, 'VirtualHost "catalog:8080"');
    assert.match(bad[0]!.path, /^routes\[3\]\.match\.headers\[0\]\.name/);
    assert.equal(bad[1]!.resource, 'VirtualHost "catalog:9102"');
  });

  test("a static instance that is not an IP address is reported on its assignment", () => {
    const ir = loadCase("subsets-canary");
    const catalog = ir.services.find((s) => s.name === "catalog")!;
    if (catalog.instances.kind === "static") catalog.instances.endpoints[1]!.address = "catalog-1.internal";
    const { issues } = translateMesh(ir);
    assert.ok(issues.some((i) => i.resource === 'ClusterLoadAssignment "outbound|8080||catalog"' && i.path === "endpoints[1]"), JSON.stringify(issues));
  });
});

describe("building blocks", () => {
  const svc = (patch: Partial<ServiceIR>): ServiceIR => ({ ...loadCase("tcp-failover").services[0]!, ...patch });

  test("failover order puts the caller's zone, then its region, first", () => {
    // Instances in regions a, b, c (no zones): each entry names a region, and the caller's zone is "" zone in
    // its region (a caller without a region: region "").
    const base = svc({});
    const instances = { kind: "static" as const, endpoints: ["a", "b", "c"].map((region, i) => ({ address: `10.9.0.${i + 1}`, ports: {}, labels: {}, locality: { region } })) };
    const up = { ...base, instances, policy: { connectTimeoutMs: 1, loadBalancer: { kind: "round-robin" as const }, localityFailover: ["a", "b", "c"] } };
    const o = (...ps: string[][]) => ps.map((p) => JSON.stringify(p));
    assert.deepEqual(failoverOrder(up, { zone: "b" }), o(["", "b"], ["a"], ["b"], ["c"]));
    assert.deepEqual(failoverOrder(up, { region: "c", zone: "zz" }), o(["c", "zz"], ["c"], ["a"], ["b"]));
    assert.deepEqual(failoverOrder(up, undefined), o(["a"], ["b"], ["c"]));
    assert.equal(failoverOrder(svc({}), { zone: "a" }), undefined);
  });

  test("an instance's port for a service port is looked up by the port's name", () => {
    const s = svc({ ports: [{ name: "b", protocol: "tcp", port: 9000, appPort: 2, mtls: "off" }, { name: "a", protocol: "http", port: 8080, appPort: 1, mtls: "off" }] });
    const e = { address: "10.0.0.1", ports: { a: 18080, b: 9000 }, labels: {} };
    assert.equal(endpointPort(e, s.ports[0]!), 9000);
    assert.equal(endpointPort(e, s.ports[1]!), 18080);
    assert.equal(endpointPort(e, { name: "c", protocol: "http", port: 1, appPort: 1, mtls: "off" }), undefined);
  });

  test("consistent hashing on a TCP upstream hashes the source address in tcp_proxy", () => {
    const ir = loadCase("tcp-failover");
    const cache = ir.services.find((s) => s.name === "cache")!;
    const listenerOf = (mesh: MeshIR) => {
      const api = translateMesh(mesh).snapshot.proxies.get("api-eu-a")!;
      const l = api.resources.listener.find((r) => r.name.endsWith("|tcp|cache"))!;
      return JSON.stringify(canonicalOf("listener", l));
    };
    assert.doesNotMatch(listenerOf(ir), /hash_policy/);
    cache.policy = { ...cache.policy, loadBalancer: { kind: "maglev", hashOn: [{ kind: "source-ip" }] } };
    assert.match(listenerOf(ir), /"hash_policy":\[\{"source_ip":\{\}\}\]/);
  });

  test("fractional weights become basis points", () => {
    assert.deepEqual(integerWeights([90, 10]), [90, 10]);
    assert.deepEqual(integerWeights([33.33, 33.33, 33.34]), [3333, 3333, 3334]);
  });

  test("TCP upstreams get explicit local ports, else the next free ones after outboundPort", () => {
    const ir: MeshIR = loadCase("tcp-failover");
    const byName = new Map(ir.services.map((s) => [s.name, s]));
    const caller = { ...byName.get("api-eu-a")!, ports: [{ name: "x", protocol: "tcp" as const, port: 15002, appPort: 1, mtls: "off" as const }] };
    const got = tcpUpstreams(caller, [byName.get("db")!, byName.get("cache")!, byName.get("cache-green")!]);
    assert.deepEqual(got.map((t) => [t.upstream.name, t.port.name, t.localPort]), [
      // In "<service>:<port name>" key order; 15002 is one of the caller's own ports. cache-green is only reached
      // through cache's TCP route split, so the app never connects to it directly: no listener of its own.
      ["cache", "redis", 15003],
      ["db", "postgres", 25432], // explicit sidecar.tcpOutbound entry
    ]);
    const named = { ...caller, sidecar: { ...caller.sidecar, tcpOutbound: { ...caller.sidecar.tcpOutbound, "cache-green:redis": 16000 } } };
    assert.deepEqual(tcpUpstreams(named, [byName.get("cache")!, byName.get("cache-green")!]).map((t) => [t.upstream.name, t.localPort]), [
      ["cache-green", 16000], // named in tcpOutbound: the app does connect to it
      ["cache", 15003],
    ]);
  });
});
