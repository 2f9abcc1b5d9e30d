// MESH0206 DuplicateEndpoint: the same address:port listed twice gets twice the traffic share.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const duplicateEndpoints: Analyzer = {
  name: "duplicate-endpoints",
  codes: ["DuplicateEndpoint"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.instances.kind !== "static") continue;
      const seen = new Set<string>();
      s.instances.endpoints.forEach((e, k) => {
        const key = hostPort(e.address, e.port);
        if (seen.has(key)) {
          ctx.report("DuplicateEndpoint", s.source, ["services", s.name, "instances", "endpoints", k], {
            service: q(s.name),
            endpoint: q(key),
          });
        }
        seen.add(key);
      });
    }
  },
};

export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
