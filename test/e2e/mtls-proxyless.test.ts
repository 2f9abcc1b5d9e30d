// End-to-end issue 8 test 7 (R16, proxyless side): a proxyless gRPC client (the real @grpc/grpc-js-xds 1.14 in a
// child process, XdsChannelCredentials, gRFC A29) calls a service over mTLS. `meshc serve --ca` serves the client
// clusters whose UpstreamTlsContext names the bootstrap's "meshc" certificate-provider instance and the callee's
// exact SPIFFE ID; `meshc certs --watch` writes the file-watcher provider's files; `meshc bootstrap --grpc --certs`
// names them. The callee is a real Envoy sidecar in strict mode in front of a grpc-js app. Asserted:
//   - calls succeed and the callee app sees the client's SPIFFE ID in x-forwarded-client-cert (so the call was
//     mTLS with the client's certificate, not plaintext: a strict inbound refuses plaintext);
//   - the same client with insecure channel credentials (plaintext whatever xDS says) fails: no silent plaintext;
//   - a root rotation (`meshc ca rotate`, then --finish): calls keep succeeding; `meshc certs --watch` rewrites the
//     files; after the callee's sidecar restarts (a new handshake, the old root no longer trusted) the client
//     presents its new leaf (another certificate hash in x-forwarded-client-cert): the file watcher followed.
// Ports 19640-19659.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { initCa } from "../../src/pki/ca-dir.js";
import { startGrpcApp } from "../apps/grpc-app.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { envoyStats, waitEnvoyReady } from "./lib/envoy-admin.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { eventually, meshcCommand, tsxCommand, type Proc } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const B = 19640;
const P = { xds: B, admin: B + 1, greeter: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 }, shopper: B + 20 };
const TD = "px.example";
const CLIENT = fileURLToPath(new URL("../apps/xds-client.ts", import.meta.url));

const MESH = `import { defineMesh, grpc } from "meshc";
export default defineMesh({ name: "px", trustDomain: "${TD}", mtls: "strict" }, (mesh) => {
  const greeter = mesh.service("greeter", {
    ports: { grpc: grpc(${P.greeter.inbound}, { app: ${P.greeter.app} }) },
    instances: ["127.0.0.1:${P.greeter.inbound}"],
    sidecar: { adminPort: ${P.greeter.admin}, outboundPort: ${P.greeter.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.service("shopper", { ports: { grpc: grpc(${P.shopper}) }, instances: ["127.0.0.1:${P.shopper}"], proxyless: true, calls: [greeter] });
});
`;

interface RunResult {
  counts: Record<string, number>;
  errors: Record<string, number>;
  peers?: Record<string, number>;
}

/** The child client: one JSON command in, one JSON line out. */
class Client {
  private readonly lines: string[] = [];
  proc!: Proc;
  push(line: string) {
    this.lines.push(line);
  }
  async next(timeoutMs: number): Promise<any> {
    await eventually(() => this.lines.length > 0 || !this.proc.running, "the xDS client to answer", timeoutMs, 20);
    if (!this.lines.length) throw new Error(`the xDS client exited:\n${this.proc.tail(30)}`);
    return JSON.parse(this.lines.shift()!);
  }
  async run(n: number): Promise<RunResult> {
    this.proc.child.stdin!.write(`${JSON.stringify({ op: "run", n })}\n`);
    return (await this.next(n * 6000 + 10_000)) as RunResult;
  }
}

test("e2e mTLS proxyless: grpc-js-xds with XdsChannelCredentials calls a strict sidecar over mTLS, follows a CA rotation; plaintext is refused", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-e2e-pxmtls-", async ({ dir, procs, closeLater }) => {
    const caDir = join(dir, "ca");
    const certsDir = join(dir, "certs");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    closeLater(await startGrpcApp({ service: "greeter", version: "v1", port: P.greeter.app }));
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--insecure"] }); // plaintext ADS: the authenticated control plane is test/e2e/xds-auth.test.ts
    await waitServeReady(P.admin, serve);
    const sidecar = startSidecar(procs, { mesh: meshPath, service: "greeter", instance: "greeter-1", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.greeter.admin, "sidecar greeter", 60_000, sidecar);

    // The client's certificate files, kept current by `meshc certs --watch`.
    const certsProc = procs.start({ name: "meshc-certs", ...meshcCommand(["certs", meshPath, "--service", "shopper", "--out", certsDir, "--ca", caDir, "--watch"]) });
    await eventually(() => /meshc: wrote spiffe:\/\//.test(certsProc.tail(5)) || undefined, "meshc certs to write the files", 60_000, 200);
    const leaf0 = new X509Certificate(readFileSync(join(certsDir, "cert.pem")));
    assert.equal(leaf0.subjectAltName, `URI:spiffe://${TD}/service/shopper`);

    const c = meshcCommand(["bootstrap", meshPath, "--service", "shopper", "--instance", "shopper-1", "--grpc", "--xds", `127.0.0.1:${P.xds}`, "--certs", certsDir]);
    const { stdout: bootstrap } = await promisify(execFile)(c.cmd, c.args, { timeout: 60_000 });
    assert.equal(JSON.parse(bootstrap).certificate_providers.meshc.plugin_name, "file_watcher");

    const startClient = (name: string, creds: "xds" | "insecure") => {
      const client = new Client();
      client.proc = procs.start({
        name,
        ...tsxCommand(CLIENT, ["greeter"]),
        env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap, XDS_CLIENT_CREDENTIALS: creds, XDS_CLIENT_DEADLINE_MS: "8000" },
        stdin: true,
        onLine: (l) => client.push(l),
      });
      return client;
    };

    // 1. mTLS: every call succeeds, and the app behind the strict sidecar names the client's SPIFFE ID.
    const secure = startClient("xds-client-mtls", "xds");
    assert.deepEqual(await secure.next(30_000), { ready: true });
    const first = await secure.run(20);
    assert.deepEqual(first.errors, {}, JSON.stringify(first));
    assert.equal(first.counts.v1, 20);
    const peers = Object.keys(first.peers ?? {});
    assert.equal(peers.length, 1, `one client identity seen by the app: ${JSON.stringify(first.peers)}`);
    assert.match(peers[0]!, new RegExp(`URI=spiffe://${TD.replace(".", "\\.")}/service/shopper(;|$)`));
    await waitConverged(P.admin, { "shopper-1": "shopper", "greeter-1": "greeter" });
    const handshakes = await envoyStats(P.greeter.admin, "ssl.handshake");
    const tlsHandshakes = Object.entries(handshakes).filter(([k]) => k.startsWith("listener.")).reduce((a, [, v]) => a + v, 0);
    assert.ok(tlsHandshakes >= 1, `the callee's inbound counted TLS handshakes: ${JSON.stringify(handshakes)}`);
    t.diagnostic(`proxyless mTLS: 20/20 calls, app saw ${peers[0]}`);

    // 2. The same client with insecure credentials sends plaintext: the strict inbound refuses it.
    const plain = startClient("xds-client-plain", "insecure");
    assert.deepEqual(await plain.next(30_000), { ready: true });
    const refused = await plain.run(3);
    assert.deepEqual(refused.counts, {}, `plaintext calls must not reach the app: ${JSON.stringify(refused)}`);
    assert.equal(Object.values(refused.errors).reduce((a, b) => a + b, 0), 3);
    plain.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);

    // 3. Root rotation (overlap): `meshc certs --watch` re-issues from the new root, the client's file watcher
    //    picks it up (the app sees another certificate hash in x-forwarded-client-cert), and calls keep succeeding.
    const sdsUpdates = async () =>
      Object.entries(await envoyStats(P.greeter.admin, "ssl_context_update_by_sds")).filter(([k]) => k.startsWith("listener.")).reduce((a, [, v]) => a + v, 0);
    const updates0 = await sdsUpdates();
    const hashOf = (xfcc: string) => /Hash=([0-9a-f]+)/.exec(xfcc)?.[1];
    const hash0 = hashOf(peers[0]!);
    assert.ok(hash0, "x-forwarded-client-cert carries the client certificate's hash");
    const r = spawnSync(...(() => {
      const rc = meshcCommand(["ca", "rotate", "--ca", caDir]);
      return [rc.cmd, rc.args, { encoding: "utf8" as const }] as const;
    })());
    assert.equal(r.status, 0, r.stderr);
    await eventually(() => new X509Certificate(readFileSync(join(certsDir, "cert.pem"))).serialNumber !== leaf0.serialNumber, "meshc certs to write a leaf from the new root", 30_000, 250);
    await eventually(async () => (await sdsUpdates()) > updates0, "the callee to get its new-root leaf over SDS", 30_000, 500);
    // Existing connections keep the certificate they were made with (TLS authenticates at the handshake), so the
    // mesh trusts both roots until every leaf is new: finish the rotation (the old root leaves both bundles), then
    // restart the callee's sidecar so the client must handshake again, now only with a new-root leaf.
    const during = await secure.run(10);
    assert.deepEqual(during.errors, {}, `calls during the overlap: ${JSON.stringify(during)}`);
    const fin = meshcCommand(["ca", "rotate", "--ca", caDir, "--finish"]);
    const rf = spawnSync(fin.cmd, fin.args, { encoding: "utf8" });
    assert.equal(rf.status, 0, rf.stderr);
    await eventually(() => readFileSync(join(certsDir, "ca.pem"), "utf8").match(/BEGIN CERTIFICATE/g)?.length === 1, "meshc certs to drop the old root from ca.pem", 30_000, 250);
    await eventually(async () => (await sdsUpdates()) > updates0 + 1, "the callee to get the one-root bundle over SDS", 30_000, 500);
    await sidecar.stop();
    const sidecar2 = startSidecar(procs, { mesh: meshPath, service: "greeter", instance: "greeter-2", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.greeter.admin, "sidecar greeter (restarted)", 60_000, sidecar2);
    const reconnected = await eventually(async () => {
      const one = await secure.run(1);
      return one.counts.v1 === 1 ? one : undefined;
    }, "the client to call the restarted sidecar", 60_000, 500);
    const hash1 = hashOf(Object.keys(reconnected.peers ?? {})[0] ?? "");
    assert.ok(hash1 && hash1 !== hash0, `the client presents its new leaf after reconnecting (hash ${hash0} -> ${hash1})`);
    const after = await secure.run(20);
    assert.deepEqual(after.errors, {}, `calls after the root rotation: ${JSON.stringify(after)}`);
    assert.equal(after.counts.v1, 20);
    t.diagnostic(`proxyless after root rotation and reconnect: 20/20 calls, client certificate hash ${hash0?.slice(0, 12)} -> ${hash1?.slice(0, 12)}`);
    secure.proc.child.stdin!.write(`${JSON.stringify({ op: "exit" })}\n`);
    assert.doesNotMatch(procs.tails(), /PRIVATE KEY/);
  });
});
