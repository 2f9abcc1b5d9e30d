// `meshc proxy-config` against a running `meshc serve --ca` (strict mTLS, so SDS secrets exist) and two real Envoy
// sidecars: the route, cluster, endpoint, listener and secret tables of what the server serves web; the same read
// from web's live Envoy (/config_dump), where --compare finds no difference (exit 0); raw -o json|yaml; and no key
// material anywhere, from the server or the Envoy; `meshc status -o wide` with its SDS column. (The dashboard test
// makes an Envoy differ: a NACK.)
// Ports 19920-19959.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { initCa } from "../../src/pki/ca-dir.js";
import { requireEnvoy } from "../helpers/envoy.js";
import { waitEnvoyReady } from "./lib/envoy-admin.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./lib/meshc.js";
import { meshcCommand } from "./lib/procs.js";
import { inWorkspace } from "./lib/workspace.js";

const B = 19920;
const P = {
  xds: B, admin: B + 1,
  web: { inbound: B + 10, app: B + 11, admin: B + 12, outbound: B + 13 },
  echo: { inbound: B + 20, app: B + 21, admin: B + 22, outbound: B + 23, v2: B + 30, app2: B + 31 },
};
const TD = "pc.example";

const MESH = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "pc", trustDomain: "${TD}", mtls: "strict" }, (mesh) => {
  const echo = mesh.service("echo", {
    ports: { http: http(${P.echo.inbound}, { app: ${P.echo.app} }), "http-v2": http(${P.echo.v2}, { app: ${P.echo.app2} }) },
    instances: [
      { address: "127.0.0.1", labels: { version: "v1" }, locality: { region: "eu", zone: "eu-1" } },
      { address: "127.0.0.1", ports: { http: ${P.echo.v2} }, labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
    sidecar: { adminPort: ${P.echo.admin}, outboundPort: ${P.echo.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.service("web", {
    ports: { http: http(${P.web.inbound}, { app: ${P.web.app} }) },
    instances: ["127.0.0.1:${P.web.inbound}"],
    calls: [echo],
    sidecar: { adminPort: ${P.web.admin}, outboundPort: ${P.web.outbound}, inboundAddress: "127.0.0.1" },
  });
  mesh.policy(echo, { circuitBreaker: { maxRequests: 77 }, outlierDetection: { consecutive5xx: 4 } });
  mesh.routes(echo, (r) => [
    r.match({ path: { prefix: "/slow" } }).to(echo.subset("v1")).timeout("1500ms").retries({ attempts: 2, on: ["5xx"] }),
    r.match().split([[echo.subset("v1"), 70], [echo.subset("v2"), 30]]),
  ]);
});
`;

const KEY_MATERIAL = /PRIVATE KEY|private_key|inline_bytes|inline_string|\[redacted\]/;

test("meshc proxy-config: tables of what the server serves, the same from a live Envoy, --compare, no key material", { timeout: 240_000 }, async (t) => {
  const envoy = requireEnvoy(t);
  if (!envoy) return;
  await inWorkspace(t, "meshc-proxy-config-", async ({ dir, procs }) => {
    const caDir = join(dir, "ca");
    await initCa(caDir, { trustDomain: TD });
    const meshPath = join(dir, "mesh.ts");
    writeFileSync(meshPath, MESH);
    const serve = startServe(procs, { mesh: meshPath, xdsPort: P.xds, adminPort: P.admin, extraArgs: ["--ca", caDir, "--insecure"] }); // plaintext ADS: the authenticated control plane is test/e2e/xds-auth.test.ts
    await waitServeReady(P.admin, serve);
    const web = startSidecar(procs, { mesh: meshPath, service: "web", instance: "web-1", xdsPort: P.xds, envoy });
    const echo = startSidecar(procs, { mesh: meshPath, service: "echo", instance: "echo-1", xdsPort: P.xds, envoy });
    await waitEnvoyReady(P.web.admin, "sidecar web", 60_000, web);
    await waitEnvoyReady(P.echo.admin, "sidecar echo", 60_000, echo);
    await waitConverged(P.admin, { "web-1": "web", "echo-1": "echo" }, 60_000);

    const run = (...args: string[]) => {
      const c = meshcCommand(["proxy-config", ...args, "--admin", `http://127.0.0.1:${P.admin}`]);
      const r = spawnSync(c.cmd, c.args, { encoding: "utf8" });
      assert.doesNotMatch(r.stdout + r.stderr, KEY_MATERIAL, `proxy-config ${args.join(" ")} shows no key material`);
      return r;
    };
    const ok = (...args: string[]) => {
      const r = run(...args);
      assert.equal(r.status, 0, `proxy-config ${args.join(" ")}: ${r.stderr}`);
      return r.stdout;
    };

    const routes = ok("web", "routes");
    t.diagnostic(routes);
    assert.match(routes, /^ROUTE CONFIG\s+DOMAINS\s+NAME\s+MATCH\s+ACTION\s+TIMEOUT\s+RETRIES$/m);
    assert.match(routes, new RegExp(`outbound\\|${P.web.outbound}\\|http .*echo.*prefix /slow\\s+-> outbound\\|${P.echo.inbound}\\|v1\\|echo\\s+1\\.5s\\s+2x 5xx`));
    assert.match(routes, new RegExp(`-> outbound\\|${P.echo.inbound}\\|v1\\|echo 70, outbound\\|${P.echo.inbound}\\|v2\\|echo 30`));

    const clusters = ok("web", "clusters");
    assert.match(clusters, /^CLUSTER\s+TYPE\s+LB\s+CIRCUIT BREAKERS\s+OUTLIER DETECTION$/m);
    assert.match(clusters, new RegExp(`^outbound\\|${P.echo.inbound}\\|v1\\|echo\\s+EDS\\s+\\S+\\s+.*requests=77.*consecutive_5xx=4`, "m"));

    const endpoints = ok("web", "endpoints");
    assert.match(endpoints, /^CLUSTER\s+ADDRESS\s+LOCALITY\s+PRIORITY\s+WEIGHT$/m);
    assert.match(endpoints, new RegExp(`^outbound\\|${P.echo.inbound}\\|v1\\|echo\\s+127\\.0\\.0\\.1:${P.echo.inbound}\\s+eu/eu-1`, "m"));
    assert.match(endpoints, new RegExp(`^outbound\\|${P.echo.inbound}\\|v2\\|echo\\s+127\\.0\\.0\\.1:${P.echo.v2}\\s`, "m"));

    const listeners = ok("web", "listeners");
    assert.match(listeners, new RegExp(`^outbound\\|${P.web.outbound}\\|http\\s+127\\.0\\.0\\.1:${P.web.outbound}\\s+1\\s+outbound\\|${P.web.outbound}\\|http$`, "m"));

    const secrets = ok("web", "secrets");
    assert.match(secrets, /^SECRET\s+VERSION\s+HOLDS$/m);
    assert.ok(secrets.split("\n").length >= 3, `web has SDS secrets:\n${secrets}`);

    // Raw resources; the JSON parses and names the same clusters.
    const json = JSON.parse(ok("web", "all", "-o", "json")) as Record<string, { name: string; resource: unknown }[]>;
    assert.ok(json.clusters!.some((c) => c.name === `outbound|${P.echo.inbound}|v2|echo`));
    assert.ok(json.secrets!.length > 0);
    assert.match(ok("web", "routes", "-o", "yaml"), /^routes:\n/);

    // The live Envoy: the same tables, read from its /config_dump, and no difference from the server.
    const envoyUrl = `http://127.0.0.1:${P.web.admin}`;
    assert.equal(ok("web", "routes", "--envoy", envoyUrl), routes, "Envoy runs the routes the server serves");
    assert.equal(ok("web", "clusters", "--envoy", envoyUrl), clusters);
    assert.equal(ok("web", "endpoints", "--envoy", envoyUrl).split("\n")[0], endpoints.split("\n")[0]);
    ok("web", "secrets", "--envoy", envoyUrl, "-o", "json");
    const cmp = run("web", "--envoy", envoyUrl, "--compare");
    assert.equal(cmp.status, 0, `--compare finds no difference:\n${cmp.stdout}${cmp.stderr}`);
    assert.match(cmp.stdout, /runs what the server serves web/);
    for (const k of ["clusters", "endpoints", "listeners", "routes", "secrets"]) assert.match(cmp.stdout, new RegExp(`^${k}: same`, "m"));

    // `meshc status` shows the SDS column when secrets are served, every type SYNCED: exit 0.
    const st = meshcCommand(["status", "--admin", `127.0.0.1:${P.admin}`, "-o", "wide"]);
    const status = spawnSync(st.cmd, st.args, { encoding: "utf8" });
    assert.equal(status.status, 0, `${status.stdout}${status.stderr}`);
    assert.match(status.stdout, /^SERVICE\s+NODE\s+ADDRESS\s+CONNECTED\s+VERSION\s+API\s+CDS\s+EDS\s+LDS\s+RDS\s+SDS$/m);
    assert.match(status.stdout, /^web\s+web-1\s.*\ssotw(\s+SYNCED \w+\/\w+){5}$/m);
    assert.match(status.stdout, /all 2 proxies SYNCED/);

    // Usage and lookup errors: exit 2 with a message.
    const unknown = run("nope");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no proxy snapshot for service "nope"/);
    const noEnvoy = run("web", "--compare");
    assert.equal(noEnvoy.status, 2);
    assert.match(noEnvoy.stderr, /--compare needs --envoy/);
  });
});
