// Every golden proxy, assembled into a static bootstrap (snapshot inlined), passes real Envoy 1.40's
// `envoy --mode validate`; proxyless proxies additionally pass @grpc/grpc-js-xds's own resource validation.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { staticBootstrap } from "../../src/backends/envoy/static-bootstrap.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import type { ProxySnapshot, ResourceKind } from "../../src/snapshot/types.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { caseNames, mapLimit, translateCase } from "./cases.js";
import { canonicalOf } from "../../src/backends/envoy/encode.js";
import { identitySecret, trustBundleSecret } from "../../src/backends/envoy/secrets.js";
import { createRoot, issueLeaf, loadAuthority } from "../../src/pki/x509.js";

/** SDS secrets for the mTLS case's sidecars, from a CA made at test time (no key is committed). */
async function testSecrets() {
  const root = await createRoot({ commonName: "validate", keyAlgorithm: "ecdsa-p256", lifetimeMs: 3_600_000 });
  const ca = await loadAuthority(root.cert.pem, root.key);
  const leaf = await issueLeaf(ca, { spiffeId: "spiffe://secure.example/service/web", keyAlgorithm: "ecdsa-p256", lifetimeMs: 600_000 });
  return [identitySecret(leaf.cert.pem, leaf.key), trustBundleSecret(root.cert.pem)];
}

/**
 * The gateway case's https listener names its certificate and key as files (Envoy reads them, also in validate
 * mode): write a test-time pair at the paths its ir.json gives (no key is committed).
 */
async function gatewayFiles(): Promise<void> {
  const { createTestCa, issueServerCert } = await import("../helpers/tls-server.js");
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const ca = await createTestCa("golden gateway CA");
  const leaf = await issueServerCert(ca, ["shop.example", "api.shop.example"]);
  mkdirSync("/tmp/meshc-golden-gateway", { recursive: true });
  writeFileSync("/tmp/meshc-golden-gateway/cert.pem", leaf.certPem);
  writeFileSync("/tmp/meshc-golden-gateway/key.pem", leaf.keyPem, { mode: 0o600 });
}

describe("golden proxies pass envoy --mode validate", () => {
  test("every proxy of every case", { timeout: 240_000 }, async (t) => {
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    const jobs = caseNames().flatMap((c) => {
      const { ir, result } = translateCase(c);
      // Each proxy, and each snapshot variant of it (an instance with its own sidecar ports, a locality).
      return [...result.snapshot.proxies].flatMap(([svc, p]) => [
        { c, svc, ir, snapshot: result.snapshot, variant: undefined as string | undefined },
        ...[...(p.variants?.keys() ?? [])].map((variant) => ({ c, svc, ir, snapshot: result.snapshot, variant })),
      ]);
    });
    assert.ok(jobs.length >= 20, `expected many proxies across the cases, got ${jobs.length}`);
    const secrets = await testSecrets();
    await gatewayFiles();
    // A proxyless client's mTLS clusters name gRPC certificate-provider instances (gRFC A29), which only gRPC
    // resolves; grpc-js-xds checks those proxies below.
    const runnable = jobs.filter((j) => !(j.ir.services.find((s) => s.name === j.svc)!.proxyless && j.snapshot.proxies.get(j.svc)!.resources.cluster.some((c) => canonicalOf("cluster", c).transport_socket)));
    assert.ok(runnable.length < jobs.length, "the mtls case has a proxyless mTLS client");
    const results = await mapLimit(runnable, 2, async (j) => {
      const bootstrap = staticBootstrap(j.ir, j.svc, j.snapshot, { apiListeners: { socketPortsFrom: 20000 }, secrets, ...(j.variant !== undefined && { variant: j.variant }) });
      const label = `${j.svc}${j.variant !== undefined ? ` (${j.variant})` : ""}`;
      const v = await runEnvoyValidate(bootstrap, { envoyPath, name: `${j.c}-${label.replace(/[^A-Za-z0-9.-]/g, "_")}.json` });
      return { job: `${j.c}/${label}`, ok: v.ok, message: v.message };
    });
    const failed = results.filter((r) => !r.ok).map((r) => `${r.job}: ${r.message}`);
    assert.deepEqual(failed, []);
  });

  test("a broken bootstrap is rejected (the check can fail)", { timeout: 60_000 }, async (t) => {
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    const { ir, result } = translateCase("http-routing");
    const bootstrap = staticBootstrap(ir, "web", result.snapshot) as { static_resources: { clusters: { name: string }[] } };
    // Drop a cluster the outbound routes send traffic to.
    bootstrap.static_resources.clusters = bootstrap.static_resources.clusters.filter((c) => c.name !== "outbound|8080||reviews");
    const v = await runEnvoyValidate(bootstrap, { envoyPath });
    assert.equal(v.ok, false);
    assert.match(v.message, /outbound\|8080\|\|reviews/);
  });

  test("staticBootstrap refuses a proxyless client unless asked to turn API listeners into sockets", () => {
    const { ir, result } = translateCase("proxyless");
    assert.throws(() => staticBootstrap(ir, "client", result.snapshot), /proxyless gRPC client/);
    const b = staticBootstrap(ir, "client", result.snapshot, { apiListeners: { socketPortsFrom: 21000 } }) as {
      static_resources: { listeners: { name: string; address: { socket_address: { port_value: number } } }[] };
    };
    assert.deepEqual(
      b.static_resources.listeners.map((l) => [l.name, l.address.socket_address.port_value]),
      [["billing", 21000], ["billing:50052", 21001], ["geo", 21002], ["geo:50060", 21003], ["greeter", 21004], ["greeter:50051", 21005], ["pricing", 21006], ["pricing:50070", 21007]],
    );
  });
});

// gRPC's own decoders (the ones its XdsClient runs on every received resource), used directly: a real data plane's
// acceptance check, without the 15 s waits a missing resource costs a live client.
const require = createRequire(import.meta.url);
type Decoder = { get(): { decode(ctx: unknown, any: { type_url: string; value: Buffer }): { name: string; error?: string } } };
function grpcDecoders(): Record<Exclude<ResourceKind, "secret">, Decoder> {
  (require("@grpc/grpc-js-xds") as { register(): void }).register();
  const base = "@grpc/grpc-js-xds/build/src/xds-resource-type/";
  return {
    listener: require(`${base}listener-resource-type.js`).ListenerResourceType,
    route: require(`${base}route-config-resource-type.js`).RouteConfigurationResourceType,
    cluster: require(`${base}cluster-resource-type.js`).ClusterResourceType,
    endpoint: require(`${base}endpoint-resource-type.js`).EndpointResourceType,
  };
}
const decodeContext = {
  server: { serverUri: "127.0.0.1:0", channelCredentials: { type: "insecure" }, serverFeatures: [] },
  // meshc's gRPC bootstrap names its file-watcher certificate provider "meshc" (gRFC A29).
  bootstrap: { certificateProviders: { meshc: {} }, authorities: {}, xdsServers: [], node: {} },
};

function grpcErrors(proxy: ProxySnapshot): string[] {
  const decoders = grpcDecoders();
  const errors: string[] = [];
  for (const kind of ["listener", "route", "cluster", "endpoint"] as const) {
    for (const r of proxy.resources[kind]) {
      const out = decoders[kind].get().decode(decodeContext, { type_url: r.typeUrl, value: Buffer.from(r.bytes) });
      if (out.error) errors.push(`${kind} ${r.name}: ${out.error}`);
    }
  }
  return errors;
}

describe("proxyless snapshots pass @grpc/grpc-js-xds validation", () => {
  test("every resource of every proxyless proxy is accepted", () => {
    let proxies = 0;
    for (const c of caseNames()) {
      const { ir, result } = translateCase(c);
      for (const svc of ir.services.filter((s) => s.proxyless)) {
        const proxy = result.snapshot.proxies.get(svc.name)!;
        proxies++;
        assert.ok(proxy.resources.listener.length > 0);
        assert.deepEqual(grpcErrors(proxy), [], `${c}/${svc.name}`);
      }
    }
    assert.ok(proxies > 0, "some golden case has a proxyless client");
  });

  test("gRPC would NACK the sidecar's LEAST_REQUEST cluster (the check can fail)", () => {
    const { result } = translateCase("proxyless");
    const web = result.snapshot.proxies.get("web")!;
    const billing = web.resources.cluster.find((r) => r.name === "outbound|50052||billing")!;
    const out = grpcDecoders().cluster.get().decode(decodeContext, { type_url: billing.typeUrl, value: Buffer.from(billing.bytes) });
    assert.match(out.error ?? "", /lb_policy|LEAST_REQUEST|load_balancing_policy/);
  });
});
