// The ledger team's service, declared in its own module.
import { defineService, tcp } from "meshc";

export const ledger = defineService("ledger", {
  ports: { sql: tcp(5432, { app: 15432 }) },
  instances: ["10.0.3.10:5432"],
});
