// R15 (version skew, CVE-2022-21679): a proxy whose configuration carries authorization (RBAC) filters and that
// reports an Envoy older than MIN_ENVOY_FOR_AUTHORIZATION is refused its stream with FAILED_PRECONDITION and gets
// no resource, SotW and Delta; the same proxy on a current Envoy is served; services without a policy, and gRPC
// clients, are not affected. The refusal is counted (xds_streams_refused_total{reason="version_skew"}).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import type { AuthzPolicyIR } from "../../src/ir/types.js";
import { TYPE_URLS } from "../../src/snapshot/types.js";
import { startXdsServer, type XdsServer } from "../../src/xds/index.js";
import { skewRefusal, usesAuthorization } from "../../src/xds/version-skew.js";
import { mesh, port, service } from "../analysis/ir-fixtures.js";
import { AdsTestClient, dreq, sreq } from "./ads-client.js";

const ir = mesh(service("api", { ports: [port("web", "http", 8080, 18080)] }), service("open", { ports: [port("web", "http", 8081, 18081)] }));
const policy: AuthzPolicyIR = { service: "api", default: "deny", dryRun: false, rules: [{ name: "none", action: "allow", dryRun: false, headers: [], notHeaders: [], methods: ["GET"] }] };
ir.authorization = { services: [policy] };
const { snapshot, issues } = translateMesh(ir);
const registry = new Registry();
let server: XdsServer;
before(async () => {
  assert.deepEqual(issues, []);
  server = await startXdsServer({ address: "127.0.0.1:0", snapshot, registry });
});
after(() => server.close(1000));

const who = (service: string, name: string, version: string) => ({ id: `${service}-${version}`, cluster: service, userAgentName: name, userAgentVersion: version, clientFeatures: [] });

test("R15: the snapshot scan finds RBAC only where a policy applies", () => {
  assert.equal(usesAuthorization(snapshot.proxies.get("api")!), true);
  assert.equal(usesAuthorization(snapshot.proxies.get("open")!), false);
  assert.match(skewRefusal(snapshot.proxies.get("api")!, "envoy", "")!, /reports no version/);
  assert.equal(skewRefusal(snapshot.proxies.get("api")!, "envoy", "1.41.2"), undefined);
});

test("R15: an old Envoy is refused a configuration with authorization (SotW and Delta); a current one is served", async () => {
  const addr = `127.0.0.1:${server.port}`;
  const old = AdsTestClient.sotw(addr);
  old.send(sreq(TYPE_URLS.listener, { node: who("api", "envoy", "1.11.0") }));
  const st = await old.status(10_000);
  assert.equal(st.code, GrpcStatus.FAILED_PRECONDITION, st.details);
  assert.match(st.details, /needs Envoy >= 1\.40\.0; this proxy runs 1\.11\.0/);
  old.close();

  const oldDelta = AdsTestClient.delta(addr);
  oldDelta.send(dreq(TYPE_URLS.listener, { node: who("api", "envoy", "1.39.9") }));
  assert.equal((await oldDelta.status(10_000)).code, GrpcStatus.FAILED_PRECONDITION);
  oldDelta.close();

  for (const [service, name, version] of [["api", "envoy", "1.40.0"], ["open", "envoy", "1.11.0"], ["api", "grpc-node-js", "1.14.1"]] as const) {
    const c = AdsTestClient.sotw(addr);
    c.send(sreq(TYPE_URLS.listener, { node: who(service, name, version) }));
    const r = await c.next(10_000);
    assert.ok(r.resources.length > 0, `${service} ${name} ${version} is served`);
    c.close();
  }
  const text = await registry.metrics();
  assert.match(text, /xds_streams_refused_total\{reason="version_skew"\} 2/);
});
