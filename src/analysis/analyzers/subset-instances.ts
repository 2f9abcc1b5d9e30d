// MESH0104 SubsetMatchesNoInstance, MESH0105 SubsetOnDnsService: a subset must select at least one instance.
// Static instances are checked by their labels; DNS instances carry no labels, so a subset that selects labels
// on a DNS service can never match (a subset with no labels is the whole service and is fine). This mirrors the
// Envoy backend, which gives such a subset an empty endpoint assignment.
import type { Analyzer } from "../context.js";
import { labelsText, q } from "../format.js";

export const subsetInstances: Analyzer = {
  name: "subset-instances",
  codes: ["SubsetMatchesNoInstance", "SubsetOnDnsService"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.subsets.forEach((sub, i) => {
        const path = ["services", s.name, "subsets", i];
        const want = Object.entries(sub.labels);
        if (s.instances.kind === "dns") {
          if (want.length === 0) return;
          ctx.report("SubsetOnDnsService", s.source, path, {
            subset: q(sub.name),
            service: q(s.name),
            hostname: q(s.instances.hostname),
          });
          return;
        }
        if (s.registry) return; // live instances (issue 16): which labels they carry is known only at serve time
        const hit = s.instances.endpoints.some((e) => want.every(([k, v]) => e.labels[k] === v));
        if (hit) return;
        ctx.report("SubsetMatchesNoInstance", s.source, path, {
          subset: q(sub.name),
          service: q(s.name),
          labels: labelsText(sub.labels),
        });
      });
    }
  },
};
