// MESH0201 DuplicateService: service names are unique. Every declaration after the first (in source order) is
// reported and points at the first.
import { declarationOrder, locText, type Analyzer } from "../context.js";
import { q } from "../format.js";
import type { ServiceIR } from "../../ir/types.js";

export const duplicateServices: Analyzer = {
  name: "duplicate-services",
  codes: ["DuplicateService"],
  run(ctx) {
    const first = new Map<string, ServiceIR>();
    for (const s of declarationOrder(ctx.ir.services)) {
      const prev = first.get(s.name);
      if (!prev) {
        first.set(s.name, s);
        continue;
      }
      ctx.report("DuplicateService", s.source, ["services", s.name], {
        service: q(s.name),
        first: locText(prev.source),
      });
    }
  },
};
