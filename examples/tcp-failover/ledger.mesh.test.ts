// Connection expectations of the ledger (examples/tcp-failover/mesh.ts): `meshc test` reads api's outbound TCP
// listeners (their tcp_proxy) from the compiled configuration.
import { meshTest, request } from "meshc/test";
import mesh from "./mesh.js";

meshTest(mesh, (t) => {
  // Postgres: one cluster; locality failover lives in its endpoints.
  t.expect(request({ from: "api", to: "postgres", tcp: true })).routesTo("postgres");
  // The Redis migration: 75% of new connections to the old cluster, 25% to the new one.
  t.expect(request({ from: "api", to: "redis", tcp: true })).splits({ redis: 75, "redis-next": 25 });
});
