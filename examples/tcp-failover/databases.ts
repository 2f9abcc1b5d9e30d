// The data team's services, declared outside any mesh so that other modules can import the references.
// mesh.ts adds them to the mesh with mesh.add(). Each database listens on 127.0.0.1 behind its sidecar, one
// port above the one callers use.
import { defineService, tcp } from "meshc";

/** Postgres: one primary per zone; callers use the first zone of the failover list and fail over in its order. */
export const postgres = defineService("postgres", {
  ports: { sql: tcp(5432, { app: 5433 }) },
  instances: [
    { address: "10.2.1.10", locality: { region: "eu-central", zone: "eu-central-1a" } },
    { address: "10.2.2.10", locality: { region: "eu-central", zone: "eu-central-1b" } },
    { address: "10.2.3.10", locality: { region: "eu-central", zone: "eu-central-1c" } },
  ],
});

/** Redis is being migrated to a new cluster: both are declared, a TCP route shifts connections over. */
export const redis = defineService("redis", {
  ports: { resp: tcp(6379, { app: 6380 }) },
  instances: [
    { address: "10.2.1.20", locality: { zone: "eu-central-1a" } },
    { address: "10.2.2.20", locality: { zone: "eu-central-1b" } },
  ],
});

export const redisNext = defineService("redis-next", {
  ports: { resp: tcp(6379, { app: 6380 }) },
  instances: [
    { address: "10.2.1.30", locality: { zone: "eu-central-1a" } },
    { address: "10.2.2.30", locality: { zone: "eu-central-1b" } },
    { address: "10.2.3.30", locality: { zone: "eu-central-1c" } },
  ],
});
