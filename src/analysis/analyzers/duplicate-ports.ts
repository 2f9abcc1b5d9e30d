// MESH0202 DuplicatePortName, MESH0203 DuplicatePortNumber: within one service, port names and port numbers are
// unique (the sidecar binds one inbound listener per port). Reported at the later port.
// A gateway's ports are its listeners, named `<protocol>-<port>`: two listeners of one protocol on one number make
// one port name (the model keeps one port for both), so they are compared here as listeners, at the later one; a
// different protocol on the same number is two ports, reported above.
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
      const listeners = new Map<string, number>();
      s.gateway?.listeners.forEach((l, li) => {
        const first = listeners.get(l.port);
        if (first === undefined) return void listeners.set(l.port, li);
        ctx.report("DuplicatePortNumber", s.source, ["services", s.name, "gateway", "listeners", li, "port"], {
          service: q(s.name),
          number: s.ports.find((p) => p.name === l.port)?.port ?? l.port,
          first: `listener ${first + 1}`,
          second: `listener ${li + 1} (both ${l.protocol}: list the hosts of both in one listener)`,
        });
      });
    }
  },
};
