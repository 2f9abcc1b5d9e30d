// An instance with its own sidecar ports (issue 13) as the backend sees it: the service with that instance's
// inbound port numbers, app ports and outbound/admin/TCP ports, translated like any sidecar into the instance's own
// snapshot variant (src/snapshot/variants.ts). Its node id is the one `meshc bootstrap --all` writes.
import type { EndpointIR, LocalityIR, ServiceIR } from "../../ir/types.js";
import { callerLocality, declaredOrder } from "./model.js";

/** Node id of a static instance: "<address>:<port of the service's first declared port>" (IPv6 bracketed). */
export function instanceNodeId(s: ServiceIR, e: EndpointIR): string {
  const first = declaredOrder(s)[0];
  const port = first ? e.ports[first.name] : e.port;
  return port === undefined ? e.address : `${e.address.includes(":") ? `[${e.address}]` : e.address}:${port}`;
}

/** The service as the sidecar of instance `e` (which has `sidecar`) binds it. */
export function instanceService(s: ServiceIR, e: EndpointIR): ServiceIR {
  const sc = e.sidecar!;
  return {
    ...s,
    ports: s.ports.map((p) => ({ ...p, port: e.ports[p.name] ?? p.port, appPort: sc.appPorts[p.name] ?? p.appPort })),
    sidecar: { ...s.sidecar, adminPort: sc.adminPort, outboundPort: sc.outboundPort, tcpOutbound: sc.tcpOutbound },
    // Its own locality is the caller locality of its snapshot (locality failover as seen from this instance).
    instances: { kind: "static", endpoints: [e] },
  };
}

/** Where the proxies of a snapshot variant run (src/snapshot/variants.ts): the caller locality its EDS follows. */
export function variantLocality(s: ServiceIR, variant: string | undefined): LocalityIR | undefined {
  if (variant?.startsWith("locality:")) {
    const [region = "", zone = ""] = variant.slice("locality:".length).split(",").map(decodeURIComponent);
    return { ...(region !== "" && { region }), ...(zone !== "" && { zone }) };
  }
  if (variant?.startsWith("instance:") && s.instances.kind === "static") {
    const id = decodeURIComponent(variant.slice("instance:".length));
    const e = s.instances.endpoints.find((x) => instanceNodeId(s, x) === id);
    if (e) return callerLocality(instanceService(s, e));
  }
  return callerLocality(s);
}
