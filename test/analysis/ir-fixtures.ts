// A tiny IR builder for analysis tests: every helper fills in valid defaults, so a case spells out only what it is
// about. Defaults never trigger a diagnostic: each service gets one HTTP port (8080, app 3000), one static
// instance on its own address, distinct sidecar ports derived from the service's position in the mesh.
import assert from "node:assert/strict";
import { analyze } from "../../src/analysis/index.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import type {
  BackendRefIR,
  EndpointIR,
  HttpRouteIR,
  MeshIR,
  PortIR,
  Protocol,
  RetryIR,
  RouteActionIR,
  RouteMatchIR,
  ServiceIR,
  SourceLoc,
} from "../../src/ir/types.js";

export const TRUST_DOMAIN = "test.example";

export function at(line: number, column = 1, file = "mesh.ts"): SourceLoc {
  return { file, line, column };
}

export function port(name: string, protocol: Protocol, number: number, appPort = number + 10_000): PortIR {
  return { name, protocol, port: number, appPort, mtls: "off" };
}

export function endpoint(address: string, portNumber = 8080, labels: Record<string, string> = {}, extra: Partial<EndpointIR> = {}): EndpointIR {
  return { address, port: portNumber, labels, ...extra };
}

export type ServiceInput = Partial<Omit<ServiceIR, "name" | "sidecar" | "policy">> & {
  sidecar?: Partial<ServiceIR["sidecar"]>;
  policy?: Partial<ServiceIR["policy"]>;
};

/** A service; call mesh() to give it a unique address and sidecar ports. */
export function service(name: string, input: ServiceInput = {}): ServiceIR {
  const { sidecar, policy, ...rest } = input;
  return {
    name,
    identity: `spiffe://${TRUST_DOMAIN}/service/${name}`,
    proxyless: false,
    mtls: "off",
    ports: [port("http", "http", 8080, 3000)],
    instances: { kind: "static", endpoints: [] },
    subsets: [],
    calls: [],
    routes: [],
    ...rest,
    // Placeholder ports; mesh() replaces the ones the input did not set.
    sidecar: { inboundAddress: "0.0.0.0", outboundPort: -1, adminPort: -1, tcpOutbound: {}, ...sidecar },
    policy: { connectTimeoutMs: 1000, loadBalancer: { kind: "round-robin" }, ...policy },
  };
}

/**
 * A mesh of the given services. Services without instances get one static instance at 10.0.<i>.1:<first port>;
 * sidecar ports left unset become 15001+2i (outbound) and 15000+2i (admin), unique within the mesh.
 */
export function mesh(...services: ServiceIR[]): MeshIR {
  return {
    name: "test",
    trustDomain: TRUST_DOMAIN,
    mtls: { mode: "off", certificates: { leafLifetimeMs: 86_400_000, rotateAtPercent: 50, keyAlgorithm: "ecdsa-p256" } },
    services: services.map((s, i) => {
      const instances =
        s.instances.kind === "static" && s.instances.endpoints.length === 0 && !noInstances.has(s)
          ? { kind: "static" as const, endpoints: [endpoint(`10.0.${i}.1`, s.ports[0]?.port ?? 8080)] }
          : s.instances;
      return {
        ...s,
        instances,
        sidecar: {
          ...s.sidecar,
          outboundPort: s.sidecar.outboundPort === -1 ? 15001 + 2 * i : s.sidecar.outboundPort,
          adminPort: s.sidecar.adminPort === -1 ? 15000 + 2 * i : s.sidecar.adminPort,
        },
      };
    }),
  };
}

const noInstances = new WeakSet<ServiceIR>();
/** Keep a service's static instance list empty (mesh() would otherwise add one). */
export function withoutInstances(s: ServiceIR): ServiceIR {
  noInstances.add(s);
  return s;
}

export function backend(serviceName: string, weight = 100, subset?: string): BackendRefIR {
  return { service: serviceName, weight, ...(subset !== undefined && { subset }) };
}

export interface RouteInput {
  match?: Partial<RouteMatchIR>;
  /** Forward to these backends (default: the whole target with weight 100). */
  to?: BackendRefIR[];
  action?: RouteActionIR;
  forward?: Partial<Extract<RouteActionIR, { kind: "forward" }>>;
  source?: SourceLoc;
}

/** A route named `name`; its default backend is the service named before the dash ("catalog-0" -> catalog). */
export function route(name: string, input: RouteInput = {}): HttpRouteIR {
  const target = name.replace(/-\d+$/, "");
  const action: RouteActionIR = input.action ?? {
    kind: "forward",
    backends: input.to ?? [backend(target)],
    ...input.forward,
  };
  return {
    name,
    match: { headers: [], query: [], methods: [], ...input.match },
    action,
    requestHeaders: { add: [], set: [], remove: [] },
    responseHeaders: { add: [], set: [], remove: [] },
    ...(input.source && { source: input.source }),
  };
}

export function retry(input: Partial<RetryIR> = {}): RetryIR {
  return { attempts: 3, on: ["connect-failure"], statusCodes: [], grpcCodes: [], ...input };
}

// ----------------------------------------------------------------------------------------------- assertions

export interface Expected {
  code: string;
  severity: "error" | "warning";
  path: (string | number)[];
  line?: number;
  column?: number;
}

/** The diagnostics with `code` that analyze() reports, reduced to what tests compare. */
export function findings(ir: MeshIR, code: string): Expected[] {
  return analyze(ir)
    .filter((d) => d.code === code)
    .map(project);
}

function project(d: Diagnostic): Expected {
  return {
    code: d.code,
    severity: d.severity,
    path: d.path ?? [],
    ...(d.line !== undefined && { line: d.line }),
    ...(d.column !== undefined && { column: d.column }),
  };
}

export interface Case {
  name: string;
  ir: MeshIR;
  /** Expected diagnostics of the table's code, in order; [] for a valid case. */
  expect: Omit<Expected, "code">[];
}

/** Runs a valid/invalid table for one code with node:test. */
export function table(test: (name: string, fn: () => void) => unknown, code: string, cases: Case[]): void {
  for (const c of cases) {
    test(`${code} ${c.expect.length ? "invalid" : "valid"}: ${c.name}`, () => {
      assert.deepEqual(
        findings(c.ir, code),
        c.expect.map((e) => ({ code, ...e })),
      );
    });
  }
}

/** The one message analyze() gives for `code` (for spot checks of wording). */
export function messageOf(ir: MeshIR, code: string): { message: string; hint: string } {
  const d = analyze(ir).filter((x) => x.code === code);
  assert.equal(d.length, 1, `expected exactly one ${code}, got ${d.length}`);
  return { message: d[0]!.message, hint: d[0]!.hint ?? "" };
}
