// MESH0206 DuplicateEndpoint: the same address:port listed twice gets twice the traffic share. Instances of a
// multi-port service are the same when their address and every port number agree.
import type { EndpointIR } from "../../ir/types.js";
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
        const key = endpointLabel(e);
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

/** "address:port" for an instance with one port number, else "address (name port, …)" in port-name order. */
export function endpointLabel(e: EndpointIR): string {
  const entries = Object.entries(e.ports);
  if (entries.length === 0) return e.port === undefined ? e.address : hostPort(e.address, e.port);
  if (entries.length === 1) return hostPort(e.address, entries[0]![1]);
  return `${e.address} (${entries.map(([name, n]) => `${name} ${n}`).join(", ")})`;
}

export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
