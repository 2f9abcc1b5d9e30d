// The real Envoy accepts what renderBootstrap emits: `envoy --mode validate` for SotW and Delta, YAML and JSON,
// literal and DNS xDS addresses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderBootstrap, type BootstrapOptions } from "../../src/backends/envoy/bootstrap/index.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { fixtureIR } from "./ir-fixture.js";

const cases: [string, Partial<BootstrapOptions>][] = [
  ["SotW, yaml", {}],
  ["Delta, yaml", { delta: true }],
  ["SotW, json, DNS server address, instance with locality", { format: "json", service: "payments", instance: "10.0.2.7:9090", xds: { host: "localhost", port: 18000 } }],
  ["Delta, json, IPv6 server address", { format: "json", delta: true, xds: { host: "::1", port: 18000 } }],
];

for (const [name, opts] of cases) {
  test(`envoy --mode validate accepts the bootstrap: ${name}`, async (t) => {
    const envoyPath = requireEnvoy(t);
    if (!envoyPath) return;
    const r = renderBootstrap(fixtureIR(), { service: "web", instance: "web-1", xds: { host: "127.0.0.1", port: 18000 }, format: "yaml", ...opts });
    assert.ok(r.ok);
    const v = await runEnvoyValidate(r.text, { envoyPath, name: `bootstrap.${opts.format ?? "yaml"}` });
    assert.equal(v.ok, true, v.output);
  });
}

test("control: envoy --mode validate rejects a bootstrap whose ADS cluster does not exist", async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const r = renderBootstrap(fixtureIR(), { service: "web", instance: "web-1", xds: { host: "127.0.0.1", port: 18000 }, format: "json" });
  assert.ok(r.ok);
  const json = JSON.parse(r.text) as { static_resources: { clusters: { name: string }[] } };
  json.static_resources.clusters[0]!.name = "renamed";
  const v = await runEnvoyValidate(json, { envoyPath });
  assert.equal(v.ok, false);
  assert.match(v.message, /xds_cluster/);
});
