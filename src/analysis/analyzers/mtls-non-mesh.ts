// MESH0503 NonMeshCallerToStrictPort and MESH0504 MtlsOnNonMeshService: a `nonMesh` service runs without a meshc
// proxy or certificate, so it calls in plaintext and cannot terminate mTLS. Its `calls` are service-level, so each
// strict port of a called service is reported (the caller may need any of them); make that port permissive for
// the migration, or give the caller a sidecar.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const mtlsNonMesh: Analyzer = {
  name: "mtls-non-mesh",
  codes: ["NonMeshCallerToStrictPort", "MtlsOnNonMeshService"],
  run(ctx) {
    for (const caller of ctx.ir.services) {
      if (!caller.nonMesh) continue;
      if (caller.mtls !== "off") {
        ctx.report("MtlsOnNonMeshService", caller.source, ["services", caller.name, "mtls"], {
          service: q(caller.name),
          mode: q(caller.mtls),
          where: "the service",
        });
      }
      for (const p of caller.ports) {
        if (p.mtls === "off" || p.mtls === caller.mtls) continue;
        ctx.report("MtlsOnNonMeshService", p.source ?? caller.source, ["services", caller.name, "ports", p.name, "mtls"], {
          service: q(caller.name),
          mode: q(p.mtls),
          where: `port ${q(p.name)}`,
        });
      }
      for (const name of caller.calls) {
        const up = ctx.service(name);
        if (!up || up === caller) continue;
        for (const p of up.ports) {
          if (p.mtls !== "strict") continue;
          ctx.report("NonMeshCallerToStrictPort", caller.source, ["services", caller.name, "calls"], {
            caller: q(caller.name),
            service: q(up.name),
            port: q(p.name),
          });
        }
      }
    }
  },
};
