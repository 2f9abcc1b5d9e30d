// MESH0202 DuplicatePortName, MESH0203 DuplicatePortNumber: within one service, port names and port numbers are
// unique (the sidecar binds one inbound listener per port). Reported at the later port.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const duplicatePorts: Analyzer = {
  name: "duplicate-ports",
  codes: ["DuplicatePortName", "DuplicatePortNumber"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const names = new Set<string>();
      const numbers = new Map<number, string>();
      // The IR sorts ports by name; "the later port" means later in the user's source.
      const bySource = s.ports.map((p, i) => ({ p, i })).sort((a, b) => (a.p.source?.line ?? 0) - (b.p.source?.line ?? 0) || (a.p.source?.column ?? 0) - (b.p.source?.column ?? 0));
      bySource.forEach(({ p, i }) => {
        if (names.has(p.name)) {
          ctx.report("DuplicatePortName", p.source ?? s.source, ["services", s.name, "ports", i, "name"], {
            service: q(s.name),
            port: q(p.name),
          });
        }
        names.add(p.name);
        const other = numbers.get(p.port);
        if (other !== undefined) {
          ctx.report("DuplicatePortNumber", p.source ?? s.source, ["services", s.name, "ports", i, "port"], {
            service: q(s.name),
            number: p.port,
            first: `port ${q(other)}`,
            second: `port ${q(p.name)}`,
          });
        } else numbers.set(p.port, p.name);
      });
    }
  },
};
