// The ledger team's part: a TCP database.
import { tcp, type Mesh } from "meshc";

export function ledger(mesh: Mesh) {
  const db = mesh.service("ledger", { ports: { sql: tcp(5432, { app: 15432 }) }, instances: ["10.0.3.10:5432"] });
  mesh.policy(db, { retries: { attempts: 2, on: ["connect-failure"], backoff: { base: "1s", max: "250ms" } } }); // expect: MESH0403
  return db;
}
