// The payments team's part of the shop mesh: its service and how callers must treat it.
import { grpc, type Mesh } from "meshc";

export function payments(mesh: Mesh) {
  const svc = mesh.service("payments", {
    ports: { api: grpc(9090, { app: 9091 }) },
    instances: [
      { address: "10.0.1.7", port: 9090, locality: { region: "eu-west-1", zone: "eu-west-1a" } },
      { address: "10.0.2.7", port: 9090, locality: { region: "eu-west-1", zone: "eu-west-1b" } },
    ],
  });

  mesh.policy(svc, {
    connectTimeout: "250ms",
    timeout: "3s",
    // Never retry a charge blindly: only when the request never reached the app.
    retries: { attempts: 1, on: ["connect-failure", "refused-stream"] },
    circuitBreaker: { maxConnections: 100, maxPending: 50, maxRequests: 200, maxRetries: 3 },
    outlierDetection: { consecutive5xx: 3, consecutiveGatewayErrors: 3, interval: "5s", baseEjection: "30s", maxEjectionPercent: 50 },
    healthCheck: { grpc: {}, interval: "5s", timeout: "1s", unhealthy: 2 },
    loadBalancer: { ringHash: { hashOn: { header: "x-user-id" } } },
    localityFailover: ["eu-west-1a", "eu-west-1b"],
  });
  return svc;
}
