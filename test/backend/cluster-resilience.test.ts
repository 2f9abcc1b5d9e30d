// The resilience settings of an outbound cluster as Envoy must get them to do what docs/dsl.md promises (checked
// against a real Envoy in test/e2e/outlier-health.test.ts):
// - outlier detection ejects a host even in a pool of fewer than 10 (always_eject_one_host; 0 % ejects none), and
//   without `consecutive5xx` keeps Envoy's 5 (never enforcing 0 unless the user sets 0);
// - active health checks run at their interval before the first request too (no_traffic_interval), hosts failing
//   them stay out even when none is left (panic threshold 0, as with outlier detection), and an external service
//   is checked with its own host as Host/:authority;
// - a policy's route timeout defaults to none, as its JSDoc now says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { buildOutboundCluster, type Flavor } from "../../src/backends/envoy/clusters.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { HealthCheckIR, OutlierDetectionIR, ServiceIR, UpstreamPolicyIR } from "../../src/ir/types.js";
import { loadCase } from "./cases.js";

function service(caseName: string, name: string, policy: Partial<UpstreamPolicyIR>): ServiceIR {
  const s = loadCase(caseName).services.find((x) => x.name === name);
  assert.ok(s, `${caseName} has ${name}`);
  return { ...s, policy: { ...s.policy, ...policy } };
}

function cluster(s: ServiceIR, flavor: Flavor = "sidecar") {
  return buildOutboundCluster({ service: s, port: s.ports[0]! }, flavor);
}

type RouteConfig = { virtual_hosts?: { name: string; routes: { name: string; route?: { timeout?: object } }[] }[] };

const outlier = (od: OutlierDetectionIR, flavor: Flavor = "sidecar") => cluster(service("resilience", "checkout", { outlierDetection: od }), flavor);
const http: HealthCheckIR = { kind: "http", path: "/healthz", intervalMs: 1500, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 };
const grpc: HealthCheckIR = { kind: "grpc", intervalMs: 2000, timeoutMs: 500, healthyThreshold: 1, unhealthyThreshold: 1 };

describe("outlier detection", () => {
  test("one host can always be ejected, so pools of fewer than 10 hosts eject with the default share", () => {
    const od = outlier({ consecutive5xx: 2 }).outlier_detection!;
    assert.deepEqual(od.always_eject_one_host, { value: true });
    assert.equal(od.max_ejection_percent, undefined, "Envoy's 10 % stays the cap beyond the first host");
    const capped = outlier({ consecutive5xx: 2, maxEjectionPercent: 50 }).outlier_detection!;
    assert.deepEqual(capped.always_eject_one_host, { value: true });
    assert.deepEqual(capped.max_ejection_percent, { value: 50 });
  });

  test("maxEjectionPercent 0 ejects none", () => {
    const od = outlier({ consecutive5xx: 2, maxEjectionPercent: 0 }).outlier_detection!;
    assert.deepEqual(od.max_ejection_percent, { value: 0 });
    assert.equal(od.always_eject_one_host, undefined);
  });

  test("without consecutive5xx, Envoy's 5 consecutive 5xx eject (as documented); 0 turns that detector off", () => {
    const dflt = outlier({ intervalMs: 1000, maxEjectionPercent: 100 }).outlier_detection!;
    assert.equal(dflt.consecutive_5xx, undefined, "Envoy's default: 5");
    assert.equal(dflt.enforcing_consecutive_5xx, undefined, "Envoy's default: enforced (100 %)");
    const gatewayOnly = outlier({ consecutiveGatewayErrors: 3 }).outlier_detection!;
    assert.equal(gatewayOnly.enforcing_consecutive_5xx, undefined);
    assert.deepEqual(gatewayOnly.enforcing_consecutive_gateway_failure, { value: 100 });
    const off = outlier({ consecutive5xx: 0, consecutiveGatewayErrors: 3 }).outlier_detection!;
    assert.deepEqual(off.enforcing_consecutive_5xx, { value: 0 });
    // Success-rate ejection stays off either way.
    for (const od of [dflt, gatewayOnly, off]) assert.deepEqual(od.enforcing_success_rate, { value: 0 });
  });
});

describe("active health checks", () => {
  test("the configured interval applies before the upstream's first request too", () => {
    const hc = cluster(service("resilience", "checkout", { healthCheck: http })).health_checks![0]!;
    assert.deepEqual(hc.interval, { seconds: 1, nanos: 500_000_000 });
    assert.deepEqual(hc.no_traffic_interval, hc.interval);
    // An HTTP/1 check opens its own connection (test/e2e/instance-localities.test.ts: a backend answering with
    // Connection: close made every other reused-connection check time out, and the hosts flapped).
    assert.deepEqual((hc as { reuse_connection?: unknown }).reuse_connection, { value: false });
  });

  test("hosts failing health checks stay out even when none is left (no panic mode), as with outlier detection", () => {
    const c = cluster(service("resilience", "checkout", { healthCheck: http }));
    assert.deepEqual(c.common_lb_config, { healthy_panic_threshold: { value: 0 } });
    assert.deepEqual(outlier({ consecutive5xx: 2 }).common_lb_config, { healthy_panic_threshold: { value: 0 } });
    // Without either, Envoy's own threshold; proxyless gRPC clients get none (they run no checks).
    assert.equal(cluster(service("resilience", "checkout", {})).common_lb_config, undefined);
    assert.equal(cluster(service("resilience", "checkout", { healthCheck: http }), "proxyless").common_lb_config, undefined);
  });

  test("a mesh service is checked under its name, an external service under its first declared host", () => {
    const mesh = cluster(service("resilience", "checkout", { healthCheck: http })).health_checks![0]!;
    assert.equal(mesh.http_health_check?.host, "checkout");
    const ext = cluster(service("external-egress", "payments-api", { healthCheck: http })).health_checks![0]!;
    assert.equal(ext.http_health_check?.host, "api.payments.example");
    const extGrpc = cluster(service("external-egress", "geo", { healthCheck: grpc })).health_checks![0]!;
    assert.equal(extGrpc.grpc_health_check?.authority, "geo.partner.example");
  });
});

describe("documented defaults", () => {
  // PolicyOptions.timeout: no timeout unless set (docs/dsl.md, as in Istio), not Envoy's 15 s route default.
  test("a route without a timeout from route, policy or defaults has none, and the JSDoc says so", () => {
    const ir = loadCase("resilience");
    const inventory = ir.services.find((s) => s.name === "inventory")!;
    inventory.policy = { ...inventory.policy, timeoutMs: undefined };
    inventory.routes = [];
    const checkout = translateMesh(ir).snapshot.proxies.get("checkout")!;
    const routes = checkout.resources.route.flatMap((r) => (canonicalOf("route", r) as RouteConfig).virtual_hosts ?? []);
    const vh = routes.find((v) => v.name.startsWith("inventory:"));
    assert.ok(vh, JSON.stringify(routes.map((v) => v.name)));
    // Present and zero (the canonical form of "0s": no timeout); absent would be Envoy's 15 s.
    for (const r of vh.routes) assert.deepEqual(r.route?.timeout, {}, `route ${r.name}`);

    const types = readFileSync(new URL("../../src/dsl/types.ts", import.meta.url), "utf8");
    const policy = /export interface PolicyOptions \{([\s\S]*?)\n\}/.exec(types)?.[1] ?? "";
    const doc = /\/\*\*((?:(?!\*\/)[^])*)\*\/\s*timeout\?: Duration;/.exec(policy)?.[1] ?? "";
    assert.match(doc, /@default none/);
    assert.doesNotMatch(doc, /@default Envoy/);
  });
});
