// TCP services with locality failover: an API in three zones talks to Postgres and Redis over TCP. Each TCP
// upstream gets its own local port on the API's sidecar (the app connects to 127.0.0.1:<port>).
import { defineMesh, http } from "meshc";
import { postgres, redis, redisNext } from "./databases.js";

export default defineMesh({ name: "ledger", trustDomain: "ledger.example" }, (mesh) => {
  mesh.add(postgres, redis, redisNext);

  mesh.service("api", {
    ports: { web: http(8080, { app: 8081 }) },
    instances: [
      { address: "10.2.1.5", locality: { region: "eu-central", zone: "eu-central-1a" } },
      { address: "10.2.2.5", locality: { region: "eu-central", zone: "eu-central-1b" } },
      { address: "10.2.3.5", locality: { region: "eu-central", zone: "eu-central-1c" } },
    ],
    calls: [postgres, redis],
    sidecar: {
      tcpOutbound: [
        { upstream: postgres.port("sql"), port: 15432 },
        { upstream: redis.port("resp"), port: 16379 },
        // redis-next needs no port: the app connects to redis, whose TCP route sends a share to redis-next.
      ],
    },
  });

  // Postgres: api's instances span all three zones, so they share one order (see localityFailover in
  // docs/dsl.md): every api instance prefers the primary in eu-central-1a, then 1b, then 1c. Eject a primary after
  // 3 connection failures, check it actively.
  mesh.policy(postgres, {
    connectTimeout: "2s",
    idleTimeout: "10m",
    circuitBreaker: { maxConnections: 200 },
    outlierDetection: { consecutiveGatewayErrors: 3, interval: "5s", baseEjection: "1m", maxEjectionPercent: 34 },
    healthCheck: { tcp: {}, interval: "2s", timeout: "500ms", healthy: 2, unhealthy: 2 },
    localityFailover: ["eu-central-1a", "eu-central-1b", "eu-central-1c"],
  });

  // Redis migration: 75% of new connections to the old cluster, 25% to the new one.
  mesh.tcpRoute(redis, {
    split: [
      [redis, 75],
      [redisNext, 25],
    ],
    connectTimeout: "250ms",
    idleTimeout: "5m",
  });
  mesh.policy(redis, { outlierDetection: { consecutiveGatewayErrors: 5 }, loadBalancer: { maglev: { hashOn: { sourceIp: true } } } });
  mesh.policy(redisNext, { healthCheck: { tcp: {} }, localityFailover: ["eu-central-1a", "eu-central-1b"] });
});
