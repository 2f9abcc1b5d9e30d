// A hand-built MeshIR for the bootstrap tests: two sidecar services and one proxyless gRPC client, admin ports in
// the bootstrap tests' range (19300-19399).
import type { MeshIR, ServiceIR } from "../../src/ir/types.js";

function service(name: string, adminPort: number, extra: Partial<ServiceIR> = {}): ServiceIR {
  return {
    name,
    identity: `spiffe://shop.example/service/${name}`,
    proxyless: false,
    mtls: "off",
    ports: [{ name: "web", protocol: "http", port: 19310 + (adminPort % 10), appPort: 19320 + (adminPort % 10), mtls: "off" }],
    instances: { kind: "static", endpoints: [{ address: "127.0.0.1", port: 19310 + (adminPort % 10), labels: {} }] },
    subsets: [],
    sidecar: { inboundAddress: "127.0.0.1", outboundPort: 19330 + (adminPort % 10), adminPort, tcpOutbound: {} },
    calls: [],
    policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" } },
    routes: [],
    ...extra,
  };
}

export function fixtureIR(): MeshIR {
  return {
    name: "shop",
    trustDomain: "shop.example",
    mtls: { mode: "off", certificates: { leafLifetimeMs: 86_400_000, rotateAtPercent: 50, keyAlgorithm: "ecdsa-p256" } },
    services: [
      service("client", 19303, { proxyless: true, ports: [], instances: { kind: "static", endpoints: [] } }),
      service("payments", 19302, {
        instances: {
          kind: "static",
          endpoints: [
            { address: "10.0.1.7", port: 9090, locality: { region: "eu", zone: "eu-1a" }, labels: { version: "v1" } },
            { address: "10.0.2.7", port: 9090, locality: { region: "eu", zone: "eu-1b", subZone: "rack-2" }, labels: { version: "v2" } },
          ],
        },
      }),
      service("web", 19301, { calls: ["payments"] }),
    ],
  };
}
