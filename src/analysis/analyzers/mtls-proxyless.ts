// MESH0502 ProxylessClientWithoutMtls: a proxyless gRPC client whose mtls is "off" cannot present a certificate
// (it does not use gRPC's xDS security, gRFC A29), so a strict port refuses each of its calls. Reported per called
// port a gRPC client can reach (grpc and http2 ports); never turned into a silent plaintext fallback.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const mtlsProxyless: Analyzer = {
  name: "mtls-proxyless",
  codes: ["ProxylessClientWithoutMtls"],
  run(ctx) {
    for (const client of ctx.ir.services) {
      if (!client.proxyless || client.mtls !== "off") continue;
      for (const name of client.calls) {
        const up = ctx.service(name);
        if (!up) continue;
        for (const p of up.ports) {
          if (p.mtls !== "strict" || (p.protocol !== "grpc" && p.protocol !== "http2")) continue;
          ctx.report("ProxylessClientWithoutMtls", client.source, ["services", client.name, "mtls"], {
            client: q(client.name),
            service: q(up.name),
            port: q(p.name),
          });
        }
      }
    }
  },
};
