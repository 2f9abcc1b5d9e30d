// `envoy --mode validate` against bootstraps built with the typed builders and encoded by meshc's codec: a minimal
// one passes; broken ones that meshc's schema layer accepts are rejected by Envoy itself, with Envoy's own words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { encodeMessage, messageToJson, pack, type EnvoyTypes } from "../../src/backends/envoy/api/codec.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { envoyErrorMessage } from "../../src/runtime/envoy-validate.js";
import { requireEnvoy } from "../helpers/envoy.js";

const BOOTSTRAP = "envoy.config.bootstrap.v3.Bootstrap";
type Bootstrap = EnvoyTypes[typeof BOOTSTRAP];
type Route = EnvoyTypes["envoy.config.route.v3.Route"];
type Cluster = EnvoyTypes["envoy.config.cluster.v3.Cluster"];

const local = (port_value: number) => ({ socket_address: { address: "127.0.0.1", port_value } });

function staticCluster(name: string, port: number): Cluster {
  return {
    name,
    type: "STATIC",
    connect_timeout: { seconds: 1 },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: local(port) } }] }] },
  };
}

/** Admin and one listener on port 0, an HCM with a direct_response route and a route to `routeTo`. */
function bootstrap(opts: { routeTo: string; clusters: Cluster[] }): Bootstrap {
  const routes: Route[] = [
    { match: { prefix: "/api" }, route: { cluster: opts.routeTo } },
    { match: { prefix: "/" }, direct_response: { status: 200, body: { inline_string: "ok" } } },
  ];
  return {
    node: { id: "validate-test", cluster: "meshc-test" },
    admin: { address: local(0) },
    static_resources: {
      listeners: [
        {
          name: "ingress",
          address: local(0),
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: pack("envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager", {
                    stat_prefix: "ingress",
                    route_config: { name: "local", virtual_hosts: [{ name: "all", domains: ["*"], routes }] },
                    http_filters: [
                      { name: "envoy.filters.http.router", typed_config: pack("envoy.extensions.filters.http.router.v3.Router", {}) },
                    ],
                  }),
                },
              ],
            },
          ],
        },
      ],
      clusters: opts.clusters,
    },
  };
}

/** Encodes through the codec (strict + validate.rules) and returns Envoy's JSON; fails the test on any issue. */
function toEnvoyJson(b: Bootstrap, label: string) {
  const r = encodeMessage(BOOTSTRAP, b, label);
  assert.ok(r.ok, r.ok ? "" : `codec rejected ${label}: ${JSON.stringify(r.issues)}`);
  return messageToJson(BOOTSTRAP, r.message.canonical);
}

test("envoy --mode validate accepts a minimal bootstrap built with the typed builders", async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const json = toEnvoyJson(bootstrap({ routeTo: "backend", clusters: [staticCluster("backend", 19101)] }), "Bootstrap minimal");
  // Both formats Envoy reads, validated side by side: parallel validations must not clash.
  const [asJson, asYaml] = await Promise.all([
    runEnvoyValidate(JSON.stringify(json, null, 2), { envoyPath }),
    runEnvoyValidate(stringify(json), { envoyPath }),
  ]);
  for (const r of [asJson, asYaml]) {
    assert.equal(r.exitCode, 0, r.output);
    assert.ok(r.ok);
    assert.equal(r.message, "");
  }
  assert.match(asJson.output, /configuration 'bootstrap\.json' OK/);
  assert.match(asYaml.output, /configuration 'bootstrap\.yaml' OK/);
});

test("Envoy rejects what the schema layer cannot see, and its own message comes back", async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  // Each bootstrap is schema-valid (toEnvoyJson asserts the codec accepts it); only Envoy knows they are wrong.
  const unknownCluster = toEnvoyJson(bootstrap({ routeTo: "missing", clusters: [staticCluster("backend", 19101)] }), "Bootstrap a");
  const duplicateCluster = toEnvoyJson(
    bootstrap({ routeTo: "backend", clusters: [staticCluster("backend", 19101), staticCluster("backend", 19102)] }),
    "Bootstrap b",
  );
  const [a, b] = await Promise.all([
    runEnvoyValidate(unknownCluster, { envoyPath }),
    runEnvoyValidate(duplicateCluster, { envoyPath }),
  ]);
  t.diagnostic(`Envoy on the unknown cluster: ${a.message}`);
  t.diagnostic(`Envoy on the duplicate cluster: ${b.message}`);

  assert.equal(a.ok, false);
  assert.notEqual(a.exitCode, 0);
  assert.equal(a.message, "route: unknown cluster 'missing'");
  assert.match(a.output, /error initializing configuration 'bootstrap\.json': route: unknown cluster 'missing'/);

  assert.equal(b.ok, false);
  assert.equal(b.message, "cluster manager: duplicate cluster 'backend'");
});

test("a bootstrap Envoy cannot parse is reported, not thrown", async (t) => {
  const envoyPath = requireEnvoy(t);
  if (!envoyPath) return;
  const r = await runEnvoyValidate({ static_resources: { clusterz: [] } }, { envoyPath });
  assert.equal(r.ok, false);
  assert.match(r.message, /clusterz/);
});

test("runEnvoyValidate reports a binary that cannot start", async () => {
  const r = await runEnvoyValidate("{}", { envoyPath: "/nonexistent/envoy" });
  assert.equal(r.ok, false);
  assert.equal(r.exitCode, null);
  assert.match(r.output, /cannot run \/nonexistent\/envoy/);
});

test("envoyErrorMessage strips Envoy's log prefixes", () => {
  const line =
    "[2026-11-26 15:25:33.933][4030][critical][main] [source/server/config_validation/server.cc:76] " +
    "error initializing configuration 'x.yaml': route: unknown cluster 'nope'";
  assert.equal(envoyErrorMessage(`${line}\n`), "route: unknown cluster 'nope'");
  assert.equal(envoyErrorMessage("plain text"), "plain text");
});
