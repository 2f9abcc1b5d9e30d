// The local demo (`npm run demo`): three services, each with its own Envoy sidecar, all on 127.0.0.1.
//
//   frontend ──> echo      two versions, v1 and v2 (a canary): callers get a 90/10 split
//            └─> flaky     answers 503 to the first try of one request in four: retries hide that from callers
//
// The demo plays the frontend app: it sends its requests to the frontend sidecar's outbound listener,
// 127.0.0.1:16113, with `Host: echo` or `Host: flaky`; that sidecar picks the route, the version and the
// retries, and forwards to the upstream's sidecar, which hands the request to the app behind it.
//
// Fixed ports (the demo's own range, 16100-16199; tests use 19000-19599):
//   16100  meshc serve: xDS (ADS)              16101  meshc serve: admin HTTP (/debug/proxies, /metrics, …)
//   frontend  inbound 16110 -> app 16111   admin 16112   outbound 16113
//   echo      inbound 16120 -> v1 app 16121, inbound 16130 -> v2 app 16131   admin 16122   outbound 16123
//   flaky     inbound 16140 -> app 16141   admin 16142   outbound 16143
//   Prometheus endpoints (telemetry metrics): frontend 16114, echo 16124, flaky 16144 (/stats/prometheus)
//
// In production each instance has a host of its own and every instance of a service binds the same ports. Here
// both echo versions share one machine, and so one echo sidecar: echo gets a second port, and its v2 instance
// serves echo's "http" port on it (`ports: { http: 16130 }`). Callers reach instance v2 at 127.0.0.1:16130, whose
// inbound listener leads to the v2 app.
import { defineMesh, http } from "meshc";

/** Every sidecar binds 127.0.0.1 only, with its own admin and outbound ports. */
const sidecar = (base: number) => ({ inboundAddress: "127.0.0.1", adminPort: base + 2, outboundPort: base + 3 });

export default defineMesh({ name: "demo", trustDomain: "demo.local", defaults: { connectTimeout: "250ms", timeout: "5s" } }, (mesh) => {
  const echo = mesh.service("echo", {
    ports: { http: http(16120, { app: 16121 }), "http-v2": http(16130, { app: 16131 }) },
    instances: [
      { address: "127.0.0.1", labels: { version: "v1" } },
      { address: "127.0.0.1", ports: { http: 16130 }, labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
    sidecar: sidecar(16120),
  });

  const flaky = mesh.service("flaky", {
    ports: { http: http(16140, { app: 16141 }) },
    instances: ["127.0.0.1:16140"],
    sidecar: sidecar(16140),
  });

  const frontend = mesh.service("frontend", {
    ports: { http: http(16110, { app: 16111 }) },
    instances: ["127.0.0.1:16110"],
    sidecar: sidecar(16110),
    calls: [echo, flaky],
  });
  mesh.telemetry(frontend, { metrics: { port: 16114 } });

  // Every sidecar serves Prometheus metrics (`meshc prometheus-config` lists them); on one host each needs its own port.
  mesh.telemetry(echo, { metrics: { port: 16124 } });
  mesh.telemetry(flaky, { metrics: { port: 16144 } });

  mesh.routes(echo, (r) => [
    // Testers opt into the canary with a header; everyone else gets the split.
    r.match({ headers: { "x-canary": "1" } }).to(echo.subset("v2")),
    r.match().split([
      [echo.subset("v1"), 90],
      [echo.subset("v2"), 10],
    ]),
  ]);

  mesh.routes(flaky, (r) => [
    // Reads are safe to repeat: retry a 5xx up to 3 times, each try at most 500ms, 3s in all.
    r.match({ method: ["GET", "HEAD"] })
      .to(flaky)
      .timeout("3s")
      .retries({ attempts: 3, perTry: "500ms", on: ["5xx", "reset", "connect-failure"], backoff: { base: "25ms", max: "250ms" } }),
    r.match().to(flaky),
  ]);
});
