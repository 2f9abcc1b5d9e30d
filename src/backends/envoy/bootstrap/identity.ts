// The inputs every bootstrap flavour shares, checked before they reach a template: which service, which instance
// (node id and locality), where the xDS server is. Templates are compiled with noEscape, so only values that pass
// these checks are ever printed into YAML/JSON.
import { isIP } from "node:net";
import { hostname } from "node:os";
import type { InstanceSidecarIR, LocalityIR, MeshIR, ServiceIR } from "../../../ir/types.js";
import { instanceNodeId } from "../instance-sidecar.js";
import { closest } from "../../../analysis/format.js";
import { callerLocality } from "../model.js";
import type { BootstrapIssue } from "./issues.js";

export const DEFAULT_XDS = { host: "127.0.0.1", port: 18000 } as const;

export interface XdsAddress {
  host: string;
  port: number;
}

export interface NodeIdentity {
  service: ServiceIR;
  /** node.id: the instance. */
  id: string;
  /** node.locality, when the instance is one of the service's static endpoints that declares one. */
  locality?: LocalityIR;
  /** The instance's own sidecar ports (issue 13), when the node id names an instance that declares them. */
  sidecar?: InstanceSidecarIR;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const INSTANCE = /^[A-Za-z0-9][A-Za-z0-9._:@\[\]-]*$/;
const LOCALITY_PART = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** "host:port", "[v6]:port" -> address; undefined when malformed. */
export function parseXdsAddress(text: string): XdsAddress | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const addr = { host: m[1]!, port: Number(m[2]) };
  return checkXds(addr).length ? undefined : addr;
}

/** "host:port" with IPv6 hosts bracketed, as gRPC's server_uri wants it. */
export function formatXdsAddress(a: XdsAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export function checkXds(a: XdsAddress): BootstrapIssue[] {
  const out: BootstrapIssue[] = [];
  if (!isIP(a.host) && !HOSTNAME.test(a.host)) {
    out.push(optionIssue("xds", `"${a.host}" is neither an IP address nor a host name`));
  }
  if (!isPort(a.port)) out.push(optionIssue("xds", `port ${a.port} is not in 1..65535`));
  return out;
}

export function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

/**
 * The default node id when --instance is not given: `<service>-<host>`, host being this machine's short host name
 * (lower case, anything but [a-z0-9-] replaced by "-"). Unique per host without coordination, and stable across
 * restarts, which is what the server's /debug view and its logs key on. Two sidecars of one service on the same
 * host need distinct --instance values.
 */
export function defaultInstanceId(service: string, host: string = hostname()): string {
  const short = (host.split(".")[0] ?? "").toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+|-+$/g, "");
  return `${service}-${short || "localhost"}`;
}

/**
 * Finds the service and the instance's identity. An instance written `<address>:<port>` (or `<address>` when only one
 * endpoint has it) that names one of the service's static endpoints takes that endpoint's locality; any other
 * instance takes the locality all the service's static endpoints share, if they share one (as the backend assumes
 * for the proxy's config).
 */
export function resolveIdentity(ir: MeshIR, serviceName: string, instance: string | undefined, explicit?: LocalityIR): NodeIdentity | BootstrapIssue[] {
  const service = ir.services.find((s) => s.name === serviceName);
  if (!service) {
    const names = ir.services.map((s) => s.name);
    const guess = closest(serviceName, names);
    const hint = guess ? ` Did you mean "${guess}"?` : "";
    return [optionIssue("service", `unknown service "${serviceName}" in mesh "${ir.name}".${hint} Known services: ${names.join(", ") || "(none)"}`)];
  }
  if (!NAME.test(service.name)) return [optionIssue("service", `service name "${service.name}" cannot be used in a bootstrap`)];
  const id = instance ?? defaultInstanceId(service.name);
  if (!INSTANCE.test(id) || id.length > 253) {
    return [optionIssue("instance", `"${id}" is not a valid instance id (letters, digits and . _ : @ [ ] -, starting with a letter or digit)`)];
  }
  // --locality (an instance the mesh does not list, e.g. one registered in etcd) wins over what the mesh says.
  const locality = explicit ?? instanceLocality(service, id) ?? callerLocality(service);
  if (locality) {
    for (const [k, v] of Object.entries(locality)) {
      if (v !== undefined && !LOCALITY_PART.test(v)) return [optionIssue(explicit ? "locality" : "instance", `locality ${k} "${v}" of instance "${id}" cannot be used in a bootstrap`)];
    }
  }
  const own = ownSidecar(service, id);
  return { service, id, ...(locality && { locality }), ...(own && { sidecar: own }) };
}

/** The sidecar ports of the static instance whose node id (src/backends/envoy/instance-sidecar.ts) is `id`. */
function ownSidecar(service: ServiceIR, id: string): InstanceSidecarIR | undefined {
  if (service.instances.kind !== "static") return undefined;
  return service.instances.endpoints.find((e) => e.sidecar && instanceNodeId(service, e) === id)?.sidecar;
}

function instanceLocality(service: ServiceIR, id: string): LocalityIR | undefined {
  if (service.instances.kind !== "static") return undefined;
  const eps = service.instances.endpoints;
  const numbers = (e: (typeof eps)[number]) => [...new Set([...Object.values(e.ports), ...(e.port !== undefined ? [e.port] : [])])];
  const exact = eps.filter((e) => numbers(e).some((port) => formatXdsAddress({ host: e.address, port }) === id || `${e.address}:${port}` === id));
  const byAddress = exact.length ? exact : eps.filter((e) => e.address === id);
  if (byAddress.length !== 1) return undefined;
  const loc = byAddress[0]!.locality;
  if (!loc || (!loc.region && !loc.zone && !loc.subZone)) return undefined;
  const out: LocalityIR = {};
  if (loc.region) out.region = loc.region;
  if (loc.zone) out.zone = loc.zone;
  if (loc.subZone) out.subZone = loc.subZone;
  return out;
}

/** `region/zone[/subzone]` (the --locality flag of `meshc register`, `run` and `bootstrap`); empty parts are left out. */
export function parseLocalityFlag(flag: string): LocalityIR {
  const [region, zone, subZone] = flag.split("/");
  return { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { subZone } : {}) };
}

export function optionIssue(option: string, message: string): BootstrapIssue {
  return { kind: "option", source: `--${option}`, path: "", message };
}
