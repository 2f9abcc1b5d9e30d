// What the IR cannot hold: settings given twice (MESH0005) and settings for a service outside the mesh (MESH0004).
import { defineMesh, defineService, http, tcp } from "meshc";

const outsider = defineService("outsider", { ports: { web: http(80) }, instances: [] });

export default defineMesh({ name: "conflicts", trustDomain: "conflicts.example" }, (mesh) => {
  const db = mesh.service("db", { ports: { sql: tcp(5432) }, instances: [] });
  mesh.policy(db, { connectTimeout: "3s", loadBalancer: "random" });
  mesh.policy(db, { connectTimeout: "2s" });
  mesh.tcpRoute(db, { idleTimeout: "1m" });
  mesh.tcpRoute(db, { idleTimeout: "2m" });
  mesh.routes(outsider, (r) => [r.match().to(outsider)]);
  mesh.policy(outsider, { timeout: "1s" });
  mesh.service("app", {
    ports: {},
    instances: [],
    calls: [db],
    sidecar: {
      tcpOutbound: [
        { upstream: db.port("sql"), port: 15432 },
        { upstream: db.port("sql"), port: 25432 },
      ],
    },
  });
});
