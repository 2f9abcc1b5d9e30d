// MESH0715 ReservedIdentity: no workload may run as the xDS server's SPIFFE ID (spiffe://<td>/meshc/xds-server).
// Proxies authenticate the control plane by that ID (meshc bootstrap --ca pins it); a service declaring it would be
// issued a certificate the proxies accept as the server's (issue 9, authenticated ADS).
import { xdsServerIdentity } from "../../pki/xds-server-identity.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const reservedIdentity: Analyzer = {
  name: "identity-reserved",
  codes: ["ReservedIdentity"],
  run(ctx) {
    const td = ctx.ir.trustDomain;
    const reserved = xdsServerIdentity(td);
    for (const s of ctx.ir.services) {
      if (s.identity !== reserved) continue;
      ctx.report("ReservedIdentity", s.source, ["services", s.name, "identity"], {
        identity: q(s.identity),
        service: q(s.name),
        default: q(`spiffe://${td}/service/${s.name}`),
      });
    }
  },
};
