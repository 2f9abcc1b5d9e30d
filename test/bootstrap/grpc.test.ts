// `--grpc` bootstraps: their shape, meshc's own checks, and acceptance by the real @grpc/grpc-js-xds client, which
// must dial the server named in the bootstrap and introduce itself with the bootstrap's node.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { checkGrpcBootstrap, renderGrpcBootstrap } from "../../src/backends/envoy/bootstrap/index.js";
import { startAdsObserver, type AdsObserver } from "./ads-observer.js";
import { fixtureIR } from "./ir-fixture.js";

const CLIENT = fileURLToPath(new URL("./fixtures/grpc-xds-client.mjs", import.meta.url));
const BOOTSTRAP_BUG = "Cannot read properties of null";

function runClient(bootstrap: string, deadlineMs: number): Promise<{ code: number; details: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, "anything", String(deadlineMs)], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap, GRPC_XDS_BOOTSTRAP: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const killer = setTimeout(() => child.kill("SIGKILL"), deadlineMs + 20_000);
    child.stdout.on("data", (c: Buffer) => (out += c));
    child.stderr.on("data", (c: Buffer) => (err += c));
    child.on("close", () => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "") as { code: number; details: string });
      } catch {
        reject(new Error(`gRPC client printed no result; stdout: ${out}; stderr: ${err}`));
      }
    });
  });
}

describe("renderGrpcBootstrap", () => {
  test("has the fields grpc-js-xds requires, locality present even when unknown", () => {
    const r = renderGrpcBootstrap(fixtureIR(), { service: "client", instance: "client-1", xds: { host: "127.0.0.1", port: 18000 } });
    assert.ok(r.ok);
    assert.deepEqual(r.json, {
      xds_servers: [{ server_uri: "127.0.0.1:18000", channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
      node: { id: "client-1", cluster: "client", locality: {} },
    });
    assert.deepEqual(JSON.parse(r.text), r.json);
    assert.deepEqual(r.warnings, []);
  });

  test("takes the locality of a matching static instance and brackets IPv6 servers", () => {
    const r = renderGrpcBootstrap(fixtureIR(), { service: "payments", instance: "10.0.2.7:9090", xds: { host: "::1", port: 18000 } });
    assert.ok(r.ok);
    assert.deepEqual(r.json.node.locality, { region: "eu", zone: "eu-1b", sub_zone: "rack-2" });
    assert.equal(r.json.xds_servers[0]!.server_uri, "[::1]:18000");
    assert.match(r.warnings[0] ?? "", /not marked proxyless/);
  });

  test("unknown service is an option issue listing the known ones", () => {
    const r = renderGrpcBootstrap(fixtureIR(), { service: "nope", xds: { host: "127.0.0.1", port: 18000 } });
    assert.ok(!r.ok);
    assert.equal(r.issues[0]!.kind, "option");
    assert.match(r.issues[0]!.message, /unknown service "nope".*Known services: client, payments, web/);
  });
});

describe("checkGrpcBootstrap", () => {
  test("reports what grpc-js-xds would reject, with paths", () => {
    const issues = checkGrpcBootstrap({
      xds_servers: [{ server_uri: "", channel_creds: [{ type: "tls" }] }],
      node: { id: "x" },
    });
    assert.deepEqual(
      issues.map((i) => i.path),
      ["xds_servers[0].server_uri", "xds_servers[0].channel_creds", "node.locality"],
    );
    assert.deepEqual(checkGrpcBootstrap({ node: { locality: {} } }).map((i) => i.path), ["xds_servers", "node.id"]);
  });
});

describe("real @grpc/grpc-js-xds client", () => {
  const PORT = 19340;
  let observer: AdsObserver | undefined;
  after(async () => observer?.close());

  test("accepts the bootstrap, dials its server over ADS and sends its node", async () => {
    observer = await startAdsObserver(PORT);
    const r = renderGrpcBootstrap(fixtureIR(), { service: "client", instance: "client-7", xds: { host: "127.0.0.1", port: PORT } });
    assert.ok(r.ok);
    // The observer never answers, so the RPC ends at its deadline: a resolution failure, not a bootstrap error.
    const [result, stream] = await Promise.all([runClient(r.text, 4000), observer.firstStream]);
    assert.doesNotMatch(result.details, new RegExp(BOOTSTRAP_BUG));
    assert.notEqual(result.code, 0);
    assert.equal(stream.method, "StreamAggregatedResources");
    const node = stream.first.node as Record<string, unknown>;
    assert.equal(node.id, "client-7");
    assert.equal(node.cluster, "client");
    assert.equal(node.user_agent_name, "gRPC Node Pure JS");
    assert.equal(stream.first.type_url, "type.googleapis.com/envoy.config.listener.v3.Listener");
    assert.deepEqual(stream.first.resource_names, ["anything"]);
  });

  test("control: without node.locality the client fails with its opaque bootstrap error, and meshc's check names the field", async () => {
    const r = renderGrpcBootstrap(fixtureIR(), { service: "client", instance: "client-8", xds: { host: "127.0.0.1", port: PORT } });
    assert.ok(r.ok);
    const broken = { ...r.json, node: { id: r.json.node.id, cluster: r.json.node.cluster } };
    assert.deepEqual(checkGrpcBootstrap(broken).map((i) => i.path), ["node.locality"]);
    const result = await runClient(JSON.stringify(broken), 4000);
    assert.equal(result.code, 14);
    assert.match(result.details, new RegExp(BOOTSTRAP_BUG));
  });
});
