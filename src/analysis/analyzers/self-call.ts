// MESH0106 SelfCall: a service that lists itself in its calls (unless it got there as a route target of a service
// it calls, which the front end adds on its own).
import type { Analyzer } from "../context.js";
import { q } from "../format.js";
import { impliedTargets } from "./unknown-dependencies.js";

export const selfCall: Analyzer = {
  name: "self-call",
  codes: ["SelfCall"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const k = s.calls.indexOf(s.name);
      if (k < 0 || impliedTargets(ctx, s).has(s.name)) continue;
      ctx.report("SelfCall", s.source, ["services", s.name, "calls", k], { service: q(s.name) });
    }
  },
};
