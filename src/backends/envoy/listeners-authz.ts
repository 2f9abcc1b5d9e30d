// Puts authorization into an inbound listener after it is built, whatever its filter chains look like (plaintext,
// mTLS, permissive pairs): every HTTP connection manager gets the RBAC filters first and, when a path condition
// applies, the path-normalization settings; every tcp_proxy chain gets the network RBAC filters ahead of it. Kept
// apart from listeners-inbound.ts so the listener's shape (owned by mTLS) and its authorization evolve separately.
// An ingress gateway's listeners (gateway.ts) go through here too, one port (listener) at a time.
import type { MeshIR, PortIR, ServiceIR } from "../../ir/types.js";
import { FILTER } from "./names.js";
import { inboundPathNormalization, inboundRbacHttpFilters, inboundRbacNetworkFilters, portRbac } from "./rbac.js";
import { dryRunAccessLog } from "./rbac-dry-run-log.js";
import type { HttpConnectionManager, Listener } from "./xds-types.js";

export function withAuthorization(ir: MeshIR, service: ServiceIR, port: PortIR, listener: Listener): Listener {
  if (!ir.authorization) return listener;
  const httpFilters = inboundRbacHttpFilters(ir, service, port);
  const netFilters = inboundRbacNetworkFilters(ir, service, port);
  const normalize = inboundPathNormalization(ir, service, port);
  if (!httpFilters.length && !netFilters.length && !normalize) return listener;
  // Dry-run rules on an HTTP port: the requests they would deny are logged too (./rbac-dry-run-log.ts).
  const r = port.protocol !== "tcp" ? portRbac(ir, service, port) : undefined;
  const dryLog = r && dryRunAccessLog(service, port, { deny: r.deny?.shadow !== undefined, allow: r.allow?.shadow !== undefined });
  return {
    ...listener,
    filter_chains: (listener.filter_chains ?? []).map((chain) => ({
      ...chain,
      filters: (chain.filters ?? []).flatMap((f) => {
        if (f.name === FILTER.tcpProxy) return [...netFilters, f];
        if (f.name !== FILTER.hcm || !f.typed_config) return [f];
        const hcm = f.typed_config as unknown as HttpConnectionManager & { "@type": string };
        const patched = {
          ...hcm,
          ...(normalize ?? {}),
          http_filters: [...httpFilters, ...(hcm.http_filters ?? [])],
          ...(dryLog ? { access_log: [...(hcm.access_log ?? []), dryLog] } : {}),
        };
        return [{ ...f, typed_config: patched as never }];
      }),
    })),
  };
}
