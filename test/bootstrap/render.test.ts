// renderBootstrap: the shipped template's content, identity resolution, and located errors for broken templates.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import YAML from "yaml";
import {
  defaultInstanceId,
  formatBootstrapIssue,
  parseXdsAddress,
  renderBootstrap,
  renderGrpcBootstrap,
  type BootstrapOptions,
} from "../../src/backends/envoy/bootstrap/index.js";
import { assertGoldenDir } from "../helpers/golden.js";
import { fixtureIR } from "./ir-fixture.js";

const GOLDEN = fileURLToPath(new URL("../golden/bootstrap/render", import.meta.url));

const XDS = { host: "127.0.0.1", port: 18000 };
const base: BootstrapOptions = { service: "web", instance: "web-1", xds: XDS, format: "yaml" };
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function ok(opts: Partial<BootstrapOptions>): Obj {
  const r = renderBootstrap(fixtureIR(), { ...base, ...opts });
  assert.ok(r.ok, r.ok ? "" : r.issues.map(formatBootstrapIssue).join("\n"));
  return r.json as Obj;
}

const dir = mkdtempSync(join(tmpdir(), "meshc-bootstrap-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));
function templateFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("renderBootstrap with the shipped template", () => {
  test("node, ADS over GRPC, xds_cluster, admin on 127.0.0.1 and stats", () => {
    const b = ok({});
    assert.deepEqual(b.node, { id: "web-1", cluster: "web" });
    const ads = b.dynamic_resources.ads_config;
    assert.equal(ads.api_type, "GRPC");
    assert.equal(ads.transport_api_version, "V3");
    assert.equal(ads.set_node_on_first_message_only, true);
    assert.equal(ads.grpc_services[0].envoy_grpc.cluster_name, "xds_cluster");
    assert.deepEqual(b.dynamic_resources.cds_config, { ads: {}, resource_api_version: "V3" });
    assert.deepEqual(b.dynamic_resources.lds_config, { ads: {}, resource_api_version: "V3" });
    const [xds] = b.static_resources.clusters;
    assert.equal(xds.name, "xds_cluster");
    assert.equal(xds.type, "STATIC");
    assert.ok(xds.typed_extension_protocol_options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"].explicit_http_config.http2_protocol_options);
    assert.deepEqual(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: "127.0.0.1", port_value: 18000 });
    assert.deepEqual(b.admin.address.socket_address, { address: "127.0.0.1", port_value: 19301 });
    assert.equal(b.stats_config.stats_tags[0].fixed_value, "web");
    assert.equal(b.overload_manager, undefined);
  });

  test("--delta selects DELTA_GRPC; a host name selects STRICT_DNS", () => {
    const b = ok({ delta: true, xds: { host: "xds.mesh.internal", port: 18000 } });
    assert.equal(b.dynamic_resources.ads_config.api_type, "DELTA_GRPC");
    assert.equal(b.static_resources.clusters[0].type, "STRICT_DNS");
    assert.equal(b.static_resources.clusters[0].dns_lookup_family, "V4_PREFERRED");
  });

  test("an instance naming a static endpoint gets its locality; --admin-port overrides the IR", () => {
    const b = ok({ service: "payments", instance: "10.0.1.7:9090", adminPort: 19399 });
    assert.deepEqual(b.node, { id: "10.0.1.7:9090", cluster: "payments", locality: { region: "eu", zone: "eu-1a" } });
    assert.equal(b.admin.address.socket_address.port_value, 19399);
    // Any other instance gets what all the service's endpoints share (region "eu", zones differ).
    assert.deepEqual(ok({ service: "payments", instance: "payments-a" }).node.locality, { region: "eu" });
    assert.equal(ok({ instance: "web-9" }).node.locality, undefined);
  });

  test("the default instance id is <service>-<short host name>", () => {
    assert.equal(defaultInstanceId("web", "Build-Box.example.com"), "web-build-box");
    assert.equal(defaultInstanceId("web", ""), "web-localhost");
    const r = renderBootstrap(fixtureIR(), { ...base, instance: undefined });
    assert.ok(r.ok);
    assert.equal(r.nodeId, defaultInstanceId("web"));
  });

  test("yaml and json output carry the same checked message", () => {
    const y = renderBootstrap(fixtureIR(), base);
    const j = renderBootstrap(fixtureIR(), { ...base, format: "json" });
    assert.ok(y.ok && j.ok);
    assert.deepEqual(YAML.parse(y.text), JSON.parse(j.text));
    assert.match(y.text, /^# Envoy bootstrap for service "web", node "web-1"/);
  });

  test("a proxyless service warns that it wants --grpc", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, service: "client", instance: "c" });
    assert.ok(r.ok);
    assert.match(r.warnings.join("\n"), /proxyless.*--grpc/);
  });
});

describe("option errors", () => {
  test("unknown service lists the known ones", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, service: "checkout" });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => [i.kind, i.source]), [["option", "--service"]]);
    assert.match(formatBootstrapIssue(r.issues[0]!), /unknown service "checkout" in mesh "shop". Known services: client, payments, web/);
  });

  test("a near miss gets a suggestion", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, service: "paymnts" });
    assert.ok(!r.ok);
    assert.match(r.issues[0]!.message, /Did you mean "payments"\?/);
  });

  test("an instance id that could break the YAML is refused before rendering", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, instance: "web\nadmin: {}" });
    assert.ok(!r.ok);
    assert.equal(r.issues[0]!.source, "--instance");
  });

  test("xds addresses", () => {
    assert.deepEqual(parseXdsAddress("127.0.0.1:18000"), { host: "127.0.0.1", port: 18000 });
    assert.deepEqual(parseXdsAddress("[::1]:18000"), { host: "::1", port: 18000 });
    assert.deepEqual(parseXdsAddress("xds.internal:443"), { host: "xds.internal", port: 443 });
    for (const bad of ["127.0.0.1", ":18000", "host:0", "host:70000", "bad host:1", "::1:18000"]) {
      assert.equal(parseXdsAddress(bad), undefined, bad);
    }
    const r = renderBootstrap(fixtureIR(), { ...base, xds: { host: "a b", port: 0 } });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => i.source), ["--xds", "--xds"]);
  });

  test("an unreadable --template", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, template: join(dir, "missing.hbs") });
    assert.ok(!r.ok);
    assert.equal(r.issues[0]!.source, "--template");
    assert.match(r.issues[0]!.message, /cannot read template/);
  });
});

describe("user templates go through the same checks", () => {
  const good = "node: { id: {{json nodeId}}, cluster: {{json service}} }\nadmin:\n  address: { socket_address: { address: 127.0.0.1, port_value: {{adminPort}} } }\n";

  test("a minimal valid template renders", () => {
    const b = ok({ template: templateFile("good.hbs", good) });
    assert.deepEqual(b, { node: { id: "web-1", cluster: "web" }, admin: { address: { socket_address: { address: "127.0.0.1", port_value: 19301 } } } });
  });

  test("schema errors name the field path and the line of the rendered output", () => {
    const file = templateFile(
      "schema.hbs",
      [
        "node: { id: {{json nodeId}} }",
        "admin:",
        "  address: { socket_address: { address: 127.0.0.1, port_value: {{adminPort}} } }",
        "  acess_log: []",
        "static_resources:",
        "  clusters:",
        "  - name: x",
        "    connect_timeout: 5",
        "",
      ].join("\n"),
    );
    const r = renderBootstrap(fixtureIR(), { ...base, template: file });
    assert.ok(!r.ok);
    const lines = r.issues.map(formatBootstrapIssue);
    assert.deepEqual(
      r.issues.map((i) => [i.kind, i.path, i.line]),
      [
        ["schema", "admin.acess_log", 4],
        ["schema", "static_resources.clusters[0].connect_timeout", 8],
      ],
    );
    assert.match(lines[0]!, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:4:3 \\(line of the rendered output\\): admin\\.acess_log: unknown field "acess_log"`));
    assert.match(lines[1]!, /duration/);
  });

  test("(validate.rules) violations name the field and line", () => {
    const file = templateFile("rules.hbs", "static_resources:\n  clusters:\n  - name: x\n    connect_timeout: 0s\n");
    const r = renderBootstrap(fixtureIR(), { ...base, template: file });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => [i.kind, i.path, i.line]), [["schema", "static_resources.clusters[0].connect_timeout", 4]]);
    assert.match(r.issues[0]!.message, /greater than 0s/);
  });

  test("an unknown enum value names its field", () => {
    const file = templateFile("enum.hbs", "static_resources:\n  clusters:\n  - name: x\n    type: STATIK\n");
    const r = renderBootstrap(fixtureIR(), { ...base, template: file });
    assert.ok(!r.ok);
    assert.deepEqual(r.issues.map((i) => [i.path, i.line]), [["static_resources.clusters[0].type", 4]]);
    assert.match(r.issues[0]!.message, /STATIK/);
  });

  test("an unknown template variable points into the template", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, template: templateFile("var.hbs", "node:\n  id: {{nodeID}}\n") });
    assert.ok(!r.ok);
    assert.deepEqual([r.issues[0]!.kind, r.issues[0]!.line, r.issues[0]!.in], ["template", 2, "template"]);
    assert.match(r.issues[0]!.message, /unknown template variable "nodeID" \(the data holds: service, nodeId,/);
  });

  test("a Handlebars syntax error points into the template", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, template: templateFile("syntax.hbs", "node:\n  id: {{#if delta}}x\n") });
    assert.ok(!r.ok);
    assert.equal(r.issues[0]!.kind, "template");
    assert.match(r.issues[0]!.message, /^parse error/);
    assert.equal(typeof r.issues[0]!.line, "number");
  });

  test("output that is not YAML points into the rendered text", () => {
    const r = renderBootstrap(fixtureIR(), { ...base, template: templateFile("yaml.hbs", "node:\n  id: {{nodeId}}\n  cluster: [web\n") });
    assert.ok(!r.ok);
    assert.deepEqual([r.issues[0]!.kind, r.issues[0]!.in], ["template", "rendered"]);
    assert.match(r.issues[0]!.message, /not valid YAML/);
  });

  test("values are not HTML-escaped (noEscape)", () => {
    const b = ok({ template: templateFile("esc.hbs", good + "stats_config: { stats_tags: [{ tag_name: t, fixed_value: \"{{service}}&<'>\" }] }\n") });
    assert.equal(b.stats_config.stats_tags[0].fixed_value, "web&<'>");
  });
});

describe("goldens (test/golden/bootstrap/render; UPDATE_GOLDEN=1 to rewrite)", () => {
  test("shipped template: SotW yaml, Delta json, DNS server with locality; gRPC bootstrap", () => {
    const produced = new Map<string, string>();
    const add = (name: string, r: { ok: true; text: string } | { ok: false; issues: unknown[] }) => {
      assert.ok(r.ok, JSON.stringify(r));
      produced.set(name, r.text);
    };
    add("web-sotw.yaml", renderBootstrap(fixtureIR(), base));
    add("web-delta.json", renderBootstrap(fixtureIR(), { ...base, delta: true, format: "json" }));
    add("payments-dns-locality.yaml", renderBootstrap(fixtureIR(), { ...base, service: "payments", instance: "10.0.2.7:9090", xds: { host: "xds.mesh.internal", port: 443 } }));
    add("client-grpc.json", renderGrpcBootstrap(fixtureIR(), { service: "client", instance: "client-1", xds: XDS }));
    assertGoldenDir(GOLDEN, produced);
  });
});
