// MESH0321 UnmodifiableHeader: Envoy's HeaderParser refuses to add, set or remove Host and any ":"-prefixed
// (pseudo-)header, on requests and responses alike (":-prefixed or host headers may not be modified/removed").
// MESH0322 InvalidHeaderFormat: every value to add or set goes through Envoy's substitution formatter, which
// refuses unknown %COMMANDS%, missing parameters and a lone "%" (see ../envoy-formatter.ts).
import type { HeaderOpsIR } from "../../ir/types.js";
import { routeSource, type Analyzer } from "../context.js";
import { formatterProblem } from "../envoy-formatter.js";
import { q } from "../format.js";

const SIDES = [
  ["requestHeaders", "request"],
  ["responseHeaders", "response"],
] as const;

export function isUnmodifiableHeader(name: string): boolean {
  return name.startsWith(":") || name.toLowerCase() === "host";
}

export const envoyHeaderOps: Analyzer = {
  name: "envoy-header-ops",
  codes: ["UnmodifiableHeader", "InvalidHeaderFormat"],
  run(ctx) {
    const verdicts = new Map<string, string | undefined>();
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        const at = routeSource(s, r);
        for (const [field, side] of SIDES) {
          const ops: HeaderOpsIR = r[field];
          const base = ["services", s.name, "routes", i, field];
          for (const kind of ["add", "set"] as const) {
            ops[kind].forEach((h, k) => {
              if (isUnmodifiableHeader(h.name)) {
                ctx.report("UnmodifiableHeader", at, [...base, kind, k, "name"], {
                  route: q(r.name),
                  op: kind === "add" ? "adds" : "sets",
                  side,
                  header: q(h.name),
                  verb: "modify",
                  advice: advice(h.name, side),
                });
              }
              if (!verdicts.has(h.value)) verdicts.set(h.value, formatterProblem(h.value));
              const reason = verdicts.get(h.value);
              if (reason !== undefined) {
                ctx.report("InvalidHeaderFormat", at, [...base, kind, k, "value"], { side, header: q(h.name), value: q(h.value), route: q(r.name), reason });
              }
            });
          }
          ops.remove.forEach((name, k) => {
            if (!isUnmodifiableHeader(name)) return;
            ctx.report("UnmodifiableHeader", at, [...base, "remove", k], {
              route: q(r.name),
              op: "removes",
              side,
              header: q(name),
              verb: "remove",
              advice: advice(name, side),
            });
          });
        }
      });
    }
  },
};

function advice(name: string, side: "request" | "response"): string {
  const lower = name.toLowerCase();
  if (side === "request" && (lower === "host" || lower === ":authority")) {
    return "To change the Host/:authority sent upstream, use .rewrite({ host: \"...\" }) on a forwarding route; it cannot be removed.";
  }
  if (lower === ":path") return "To change the path, use .rewrite({ prefix }) or .rewrite({ fullPath }).";
  return `Drop ${q(name)} from the header operations: Envoy manages Host and pseudo-headers itself.`;
}
