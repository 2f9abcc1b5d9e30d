// MESH0108 UnknownInstancePort, MESH0208 AmbiguousInstancePort: how an instance serves its service's ports must
// be unambiguous. An instance serves each port on the port's own number unless it gives a number by port name;
// a single number (`port`, "address:port", dns(host, port)) stands for the one port of a single-port service and
// is reported on a service with several ports, where it used to be silently applied to the wrong ports.
import type { ServiceIR } from "../../ir/types.js";
import type { AnalysisContext, Analyzer } from "../context.js";
import { didYouMean, listing, q } from "../format.js";
import { endpointLabel } from "./duplicate-endpoints.js";

export const instancePorts: Analyzer = {
  name: "instance-ports",
  codes: ["UnknownInstancePort", "AmbiguousInstancePort"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.instances.kind === "dns") {
        check(ctx, s, `dns(${q(s.instances.hostname)})`, s.instances, ["services", s.name, "instances"]);
        continue;
      }
      s.instances.endpoints.forEach((e, k) => check(ctx, s, q(endpointLabel({ ...e, ports: {} })), e, ["services", s.name, "instances", "endpoints", k]));
    }
  },
};

function check(ctx: AnalysisContext, s: ServiceIR, instance: string, e: { ports: Record<string, number>; port?: number }, path: (string | number)[]): void {
  const names = s.ports.map((p) => p.name);
  const known = names.length ? listing(names.map(q)) : "none";
  for (const name of Object.keys(e.ports)) {
    if (names.includes(name)) continue;
    ctx.report("UnknownInstancePort", s.source, [...path, "ports", name], {
      instance,
      service: q(s.name),
      port: q(name),
      suggestion: didYouMean(name, names),
      known,
    });
  }
  if (e.port !== undefined && s.ports.length > 1) {
    ctx.report("AmbiguousInstancePort", s.source, [...path, "port"], {
      instance,
      service: q(s.name),
      number: e.port,
      count: s.ports.length,
      known,
      example: `ports: { ${s.ports.map((p) => `${/^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : JSON.stringify(p.name)}: ${p.port}`).join(", ")} }`,
    });
  }
}
