// MESH0420 ProxylessSettingIgnored, MESH0421 ProxylessSettingFails: every setting of an upstream that the calling
// proxyless service's gRPC implementation (`proxyless: { grpc }`) ignores or fails on, per the capability table
// (src/proxyless/capabilities.ts), reported at the mesh.ts line that set it. Load balancers, consecutive-error
// outlier detection, health checks and route rate limits stay MESH0313 (proxyless-settings.ts reads the same table).
import type { HttpRouteIR, ServiceIR, SourceLoc } from "../../ir/types.js";
import { capability, implementationName, CAPABILITIES, type Capability, type GrpcChoice } from "../../proxyless/capabilities.js";
import type { Analyzer, ModelPath } from "../context.js";
import { q } from "../format.js";

interface Use {
  feature: Capability;
  at: SourceLoc | undefined;
  path: ModelPath;
  /** Names the route, when the setting is a route's. */
  route?: string;
}

const GRPC_RETRY_CONDITIONS = new Set(["cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable"]);

/** The settings of `up` that appear in the table's non-supported rows and this file reports. */
function uses(up: ServiceIR): Use[] {
  const out: Use[] = [];
  const policyAt = up.policy.source ?? up.source;
  const lb = up.policy.loadBalancer;
  if ((lb.kind === "ring-hash" || lb.kind === "maglev") && lb.hashOn.some((k) => k.kind !== "header")) {
    out.push({ feature: "hashOtherKeys", at: policyAt, path: ["services", up.name, "policy", "loadBalancer"] });
  }
  const policyRetry = up.policy.retry;
  const httpOnly = (r: { on: string[]; statusCodes: number[] }) => r.statusCodes.length > 0 || r.on.some((c) => !GRPC_RETRY_CONDITIONS.has(c));
  if (policyRetry && httpOnly(policyRetry)) out.push({ feature: "retryHttpConditions", at: policyAt, path: ["services", up.name, "policy", "retries"] });
  up.routes.forEach((r: HttpRouteIR, i) => {
    const at = r.source ?? up.source;
    const path = (...rest: (string | number)[]): ModelPath => ["services", up.name, "routes", i, ...rest];
    if (r.match.query.length > 0) out.push({ feature: "queryMatch", at, path: path("match", "query"), route: r.name });
    const a = r.action;
    if (a.kind === "redirect") out.push({ feature: "redirect", at, path: path("action"), route: r.name });
    else if (a.kind === "direct") out.push({ feature: "directResponse", at, path: path("action"), route: r.name });
    else {
      if (a.mirror) out.push({ feature: "mirror", at, path: path("mirror"), route: r.name });
      if (a.retry && httpOnly(a.retry)) out.push({ feature: "retryHttpConditions", at, path: path("retries"), route: r.name });
    }
  });
  return out;
}

export const proxylessCapabilities: Analyzer = {
  name: "proxyless-capabilities",
  codes: ["ProxylessSettingIgnored", "ProxylessSettingFails"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (!s.proxyless) continue;
      const choice: GrpcChoice = s.grpcImplementation ?? "any";
      for (const name of s.calls) {
        const up = ctx.service(name);
        if (!up || !up.ports.some((p) => p.protocol === "grpc")) continue; // MESH0103 / MESH0312
        for (const u of uses(up)) {
          const b = capability(u.feature, choice);
          if (b.support === "supported") continue;
          const setting = `${CAPABILITIES[u.feature].setting}${u.route !== undefined ? ` in route ${q(u.route)}` : ""}`;
          ctx.report(b.support === "fails" ? "ProxylessSettingFails" : "ProxylessSettingIgnored", u.at, u.path, {
            service: q(s.name),
            implementation: implementationName(choice),
            upstream: q(up.name),
            setting,
            effect: b.effect ?? "",
          });
        }
      }
    }
  },
};
