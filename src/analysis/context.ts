// What every analyzer gets: the IR, a name index, and `report`, which turns a registry entry plus values into a
// Diagnostic located at the IR element's source. Analyzers never build Diagnostic objects themselves.
import type { Diagnostic } from "../diagnostics/types.js";
import type { HttpRouteIR, MeshIR, PortIR, ServiceIR, SourceLoc } from "../ir/types.js";
import { CODES, fillTemplate, type CodeName, type CodeParams } from "./codes.js";
import { serviceRefs, type ServiceRef } from "./refs.js";
import { visitRouteStrings, type RouteStringInfo } from "./route-strings.js";

export type ModelPath = (string | number)[];

/** One string a route hands to Envoy (route-strings.ts), with the route it belongs to. */
export interface RouteString {
  service: ServiceIR;
  route: HttpRouteIR;
  /** The route's index in its service's routes. */
  index: number;
  value: string;
  regex: boolean;
  pathKind: "exact" | "prefix" | undefined;
  describe: (base: ModelPath) => RouteStringInfo;
}

export interface Analyzer {
  /** File name without extension, for debugging and the analyzer list. */
  readonly name: string;
  readonly codes: readonly CodeName[];
  run(ctx: AnalysisContext): void;
}

export class AnalysisContext {
  readonly diagnostics: Diagnostic[] = [];
  private readonly byName = new Map<string, ServiceIR>();

  /** `baseDir`: what IR source files are relative to (for analyzers that read a source file, value-site.ts). */
  constructor(
    readonly ir: MeshIR,
    readonly baseDir?: string,
  ) {
    // With duplicates (MESH0201), references resolve to the first service of that name in the IR.
    for (const s of ir.services) if (!this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  private refsCache: ServiceRef[] | undefined;
  private readonly refsByOwner = new Map<ServiceIR, ServiceRef[]>();

  /** Every service reference in the mesh's routes (computed once, shared by analyzers). */
  refs(): ServiceRef[] {
    if (!this.refsCache) {
      this.refsCache = serviceRefs(this.ir.services);
      for (const r of this.refsCache) {
        const list = this.refsByOwner.get(r.owner);
        if (list) list.push(r);
        else this.refsByOwner.set(r.owner, [r]);
      }
    }
    return this.refsCache;
  }

  /** The references held by one service's routes. */
  refsOf(owner: ServiceIR): ServiceRef[] {
    this.refs();
    return this.refsByOwner.get(owner) ?? [];
  }

  private routeStringsCache: RouteString[] | undefined;

  /** Every route string of the mesh, in service, route and visit order (one walk, shared by the analyzers that read them). */
  routeStrings(): RouteString[] {
    if (!this.routeStringsCache) {
      const out: RouteString[] = [];
      for (const service of this.ir.services) {
        const routes = service.routes;
        for (let index = 0; index < routes.length; index++) {
          const route = routes[index]!;
          visitRouteStrings(route, (value, regex, pathKind, describe) => out.push({ service, route, index, value, regex, pathKind, describe }));
        }
      }
      this.routeStringsCache = out;
    }
    return this.routeStringsCache;
  }

  service(name: string): ServiceIR | undefined {
    return this.byName.get(name);
  }

  serviceNames(): string[] {
    return [...this.byName.keys()];
  }

  report<N extends CodeName>(name: N, at: SourceLoc | undefined, path: ModelPath, params: CodeParams<N>): void {
    const info = CODES[name];
    const values = params as Record<string, string | number>;
    const d: Diagnostic = {
      code: info.code,
      severity: info.severity,
      message: fillTemplate(info.message, values),
      ...(at && { file: at.file, line: at.line, column: at.column }),
      path,
      hint: fillTemplate(info.hint, values),
    };
    this.diagnostics.push(d);
  }
}

/** Where a route's diagnostics point: the route's own call site, else its service's. */
export function routeSource(s: ServiceIR, r: HttpRouteIR): SourceLoc | undefined {
  return r.source ?? s.source;
}

export function tcpRouteSource(s: ServiceIR): SourceLoc | undefined {
  return s.tcpRoute?.source ?? s.source;
}

export function isHttpPort(p: PortIR): boolean {
  return p.protocol !== "tcp";
}

/** `"web" http/8080, "db" tcp/5432` or "none", for messages about a service's ports. */
export function portsText(s: ServiceIR): string {
  if (s.ports.length === 0) return "none";
  return s.ports.map((p) => `"${p.name}" ${p.protocol}/${p.port}`).join(", ");
}

/** Services in declaration order (by source position, then name), for "which came first" decisions. */
export function declarationOrder(services: readonly ServiceIR[]): ServiceIR[] {
  return services
    .map((s, i) => ({ s, i }))
    .sort((a, b) => compareSource(a.s.source, b.s.source) || a.i - b.i)
    .map((x) => x.s);
}

export function compareSource(a: SourceLoc | undefined, b: SourceLoc | undefined): number {
  if (a && b) return cmp(a.file, b.file) || a.line - b.line || a.column - b.column;
  if (a) return -1;
  if (b) return 1;
  return 0;
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function locText(at: SourceLoc | undefined): string {
  return at ? `${at.file}:${at.line}:${at.column}` : "an unknown location";
}
