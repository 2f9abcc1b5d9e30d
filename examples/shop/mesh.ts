// The shop: a web front end calling catalog, cart and payments.
//  - catalog runs v1 and a v2 canary: testers opt in with `x-canary: 1`, everyone else is split 90/10;
//  - reads are retried, with per-try and overall timeouts;
//  - payments is protected by a circuit breaker, outlier detection and an active health check;
//  - web calls a partner's exchange-rate API over HTTPS (an external service: web's sidecar originates TLS and
//    verifies it), and nothing else outside the mesh (egress "registry-only");
//  - customers come in through the "edge" ingress gateway: the storefront to web, /api/cart to cart.
// Mesh-wide defaults come first; each service's policy overrides them option by option.
import { defineMesh, dns, grpc, http } from "meshc";
import { payments } from "./payments.js";

export default defineMesh(
  {
    name: "shop",
    trustDomain: "shop.example",
    // Requests for hosts the mesh does not declare get 502 from the sidecar (counted in cluster.egress-blocked).
    egress: "registry-only",
    defaults: {
      connectTimeout: "500ms",
      timeout: "5s",
      // Safe everywhere: only requests that never reached an app are retried (3 tries of 1s fit in 5s).
      retries: { attempts: 2, perTry: "1s", on: ["connect-failure", "refused-stream"] },
      circuitBreaker: { maxConnections: 1024, maxPending: 256, maxRequests: 1024 },
    },
  },
  (mesh) => {
    const catalog = mesh.service("catalog", {
      ports: { web: http(8080, { app: 3000 }) }, // the sidecar listens on 8080, the app behind it on 3000
      instances: [
        { address: "10.0.1.10", labels: { version: "v1" }, locality: { zone: "eu-west-1a" } },
        { address: "10.0.2.10", labels: { version: "v1" }, locality: { zone: "eu-west-1b" } },
        { address: "10.0.1.11", labels: { version: "v2" }, locality: { zone: "eu-west-1a" } },
      ],
      subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
    });

    const cart = mesh.service("cart", {
      ports: { web: http(8080, { app: 3000 }) },
      instances: dns("cart.shop.internal", 8080), // resolved by Envoy
    });

    // payments lives in its own module (the payments team owns it).
    const pay = mesh.include(payments);

    // A partner API outside the mesh: web's app calls http://api.fxrates.example/ through its sidecar, which speaks
    // TLS to the partner and checks its certificate against the system CA bundle (or tls: { ca: "/path/ca.pem" }).
    const fxRates = mesh.external("fx-rates", { hosts: ["api.fxrates.example"], ports: { https: http(443) }, tls: {} });

    const web = mesh.service("web", {
      ports: { web: http(8080, { app: 3000 }) },
      instances: ["10.0.0.5:8080", "10.0.0.6:8080"],
      identity: "/ns/shop/sa/web",
      calls: [catalog, cart, pay, fxRates], // web's sidecar gets configuration for these only
    });
    mesh.policy(fxRates, { connectTimeout: "2s", timeout: "3s" });

    // The way in from the internet. In production the listener is https, with the certificate as files on the
    // gateway's host: { port: 443, protocol: "https", hosts: ["shop.example"], tls: { cert: "/etc/meshc/edge/cert.pem", key: "/etc/meshc/edge/key.pem" } }.
    const edge = mesh.gateway("edge", {
      listeners: [{ port: 8000, protocol: "http", hosts: ["shop.example", "www.shop.example"] }],
      instances: [{ address: "10.0.9.1" }],
    });
    mesh.routes(edge, (r) => [
      r.match({ host: "www.shop.example" }).redirect({ host: "shop.example", status: 301 }),
      r.match({ path: { prefix: "/api/cart" } }).to(cart).timeout("3s"),
      r.match().to(web).timeout("10s"),
    ]);

    mesh.routes(catalog, (r) => [
      // Testers opt into the canary with a header.
      r.match({ headers: { "x-canary": "1" } }).to(catalog.subset("v2")).named("catalog-canary-optin"),
      // Reads: 90/10 canary split, retried on 5xx, each try 500ms, 2s overall.
      r.match({ path: { prefix: "/" }, method: ["GET", "HEAD"] })
        .split([
          [catalog.subset("v1"), 90],
          [catalog.subset("v2"), 10],
        ])
        .timeout("2s")
        .retries({ attempts: 3, perTry: "500ms", on: ["5xx", "reset", "connect-failure"], backoff: { base: "25ms" } }),
      // Writes go to v1 only, with just the mesh default retries (connection failures: the app never saw them).
      r.match({ path: { prefix: "/" } }).to(catalog.subset("v1")).timeout("3s"),
    ]);

    mesh.routes(cart, (r) => [
      r.match({ path: { prefix: "/api/cart" } })
        .to(cart)
        .rewrite({ prefix: "/cart" })
        .timeout("1s")
        .retries({ attempts: 1, perTry: "400ms", on: ["connect-failure", "refused-stream"] })
        .requestHeaders({ set: { "x-shop-client": "web" } }),
      r.match({ path: { exact: "/healthz" } }).respond(200, "ok"),
    ]);

    mesh.policy(catalog, {
      loadBalancer: "least-request",
      outlierDetection: { consecutive5xx: 5, interval: "10s", baseEjection: "30s", maxEjectionPercent: 50 },
    });
  },
);
