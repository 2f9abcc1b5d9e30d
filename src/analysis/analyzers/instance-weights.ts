// MESH0361 InstanceWeightsOverflow: each EDS locality group carries the sum of its instances' weights as its
// load_balancing_weight, a uint32 (Envoy also requires the endpoint weights of one locality to sum to at most
// 4294967295). Each weight may be up to 4294967295 on its own, so two of them in one locality overflowed: the backend
// refused the ClusterLoadAssignment as MESH0901. A subset's or a port's cluster holds some of the service's instances,
// so the service's sums bound theirs. Reported once per locality, at the instance whose weight crosses the limit.
import { localityKey } from "../../backends/envoy/model.js";
import type { LocalityIR } from "../../ir/types.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

const MAX_U32 = 2 ** 32 - 1;

export const instanceWeights: Analyzer = {
  name: "instance-weights",
  codes: ["InstanceWeightsOverflow"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (s.instances.kind !== "static") continue;
      const endpoints = s.instances.endpoints;
      const sums = new Map<string, { sum: number; reported: boolean }>();
      endpoints.forEach((e, k) => {
        const key = localityKey(e.locality);
        let g = sums.get(key);
        if (!g) sums.set(key, (g = { sum: 0, reported: false }));
        g.sum += e.weight ?? 1;
        if (g.sum <= MAX_U32 || g.reported) return;
        g.reported = true;
        // The whole locality's sum, for the message.
        const total = endpoints.filter((x) => localityKey(x.locality) === key).reduce((n, x) => n + (x.weight ?? 1), 0);
        ctx.report("InstanceWeightsOverflow", s.source, ["services", s.name, "instances", "endpoints", k, "weight"], {
          service: q(s.name),
          locality: localityText(e.locality),
          sum: total,
          divisor: Math.ceil(total / MAX_U32),
        });
      });
    }
  },
};

function localityText(l: LocalityIR | undefined): string {
  const parts = (["region", "zone", "subZone"] as const).filter((k) => l?.[k] !== undefined).map((k) => `${k} ${q(l![k]!)}`);
  return parts.length ? `in locality ${parts.join(", ")}` : "without a locality";
}
