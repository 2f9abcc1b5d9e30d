// MESH0230 ExternalHostClaimed, MESH0231 ExternalPlaintextToTlsPort, MESH0232 ExternalTlsProxyless: external
// services (mesh.external, issue 13). Their hosts become virtual-host domains in every caller's outbound route
// table next to mesh service names, where Envoy allows one owner per domain; a port 443 (or named https/tls)
// without TLS origination sends plaintext to a TLS server; gRPC's xDS client cannot originate TLS from a CA file.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

const TLS_PORT_NAMES = new Set(["https", "tls"]);

export const externalServices: Analyzer = {
  name: "external-services",
  codes: ["ExternalHostClaimed", "ExternalPlaintextToTlsPort", "ExternalTlsProxyless"],
  run(ctx) {
    const owners = new Map<string, string>();
    for (const s of ctx.ir.services) if (!s.external) owners.set(s.name, `service ${q(s.name)}`);
    for (const s of ctx.ir.services) {
      const ext = s.external;
      if (!ext) continue;
      ext.hosts.forEach((h, i) => {
        const key = h.toLowerCase();
        const other = owners.get(key);
        if (other !== undefined) ctx.report("ExternalHostClaimed", ext.source ?? s.source, ["services", s.name, "external", "hosts", i], { host: q(h), service: q(s.name), other });
        else owners.set(key, `external service ${q(s.name)}`);
      });
      if (!ext.tls) {
        s.ports.forEach((p, i) => {
          if (p.port === 443 || TLS_PORT_NAMES.has(p.name.toLowerCase()))
            ctx.report("ExternalPlaintextToTlsPort", p.source ?? s.source, ["services", s.name, "ports", i], { port: q(p.name), number: p.port, service: q(s.name) });
        });
      }
    }
    for (const caller of ctx.ir.services) {
      if (!caller.proxyless) continue;
      caller.calls.forEach((name, i) => {
        const up = ctx.ir.services.find((s) => s.name === name);
        if (up?.external?.tls) ctx.report("ExternalTlsProxyless", caller.source, ["services", caller.name, "calls", i], { service: q(caller.name), external: q(name) });
      });
    }
  },
};
