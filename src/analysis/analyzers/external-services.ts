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
    // Lowercased domain -> its owner. Every service (external ones too) is a virtual host of its callers' route
    // table under its name and <name>.<mesh> (plus those with :<port>, which clash exactly when these do, as hosts
    // hold no ":"); Envoy lowercases domains before its one-owner check, so keys are lowercase.
    const owners = new Map<string, { label: string; service: string; byName: boolean }>();
    for (const s of ctx.ir.services) {
      const label = `${s.external ? "external service" : "service"} ${q(s.name)}`;
      for (const d of [s.name, `${s.name}.${ctx.ir.name}`]) if (!owners.has(d.toLowerCase())) owners.set(d.toLowerCase(), { label, service: s.name, byName: true });
    }
    for (const s of ctx.ir.services) {
      const ext = s.external;
      if (!ext) continue;
      ext.hosts.forEach((h, i) => {
        const key = h.toLowerCase();
        const owner = owners.get(key);
        const other = owner === undefined ? undefined : owner.byName && owner.service === s.name ? "its own name" : owner.label;
        if (other !== undefined) ctx.report("ExternalHostClaimed", ext.source ?? s.source, ["services", s.name, "external", "hosts", i], { host: q(h), service: q(s.name), other });
        else owners.set(key, { label: `external service ${q(s.name)}`, service: s.name, byName: false });
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
