// Semantic analysis of the mesh IR: every analyzer runs on the whole model and reports through the context; the
// result is sorted by position so output is stable. Nothing stops at the first problem.
import { resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/types.js";
import { sortDiagnostics } from "../diagnostics/sort.js";
import type { MeshIR } from "../ir/types.js";
import { AnalysisContext, type Analyzer } from "./context.js";
import { authzCallers } from "./analyzers/authz-callers.js";
import { authzCalls } from "./analyzers/authz-calls.js";
import { authzDryRunDeny } from "./analyzers/authz-dry-run-deny.js";
import { authzGateway } from "./analyzers/authz-gateway.js";
import { authzMtls } from "./analyzers/authz-mtls.js";
import { authzNeverMatches } from "./analyzers/authz-never-matches.js";
import { authzPaths } from "./analyzers/authz-paths.js";
import { authzTargets } from "./analyzers/authz-targets.js";
import { authzTcp } from "./analyzers/authz-tcp.js";
import { routeCallers } from "./analyzers/route-callers.js";
import { corsOrigins } from "./analyzers/cors-origins.js";
import { gatewayHosts } from "./analyzers/gateway-hosts.js";
import { gatewayTargets } from "./analyzers/gateway-targets.js";
import { externalServices } from "./analyzers/external-services.js";
import { duplicateEndpoints } from "./analyzers/duplicate-endpoints.js";
import { duplicatePorts } from "./analyzers/duplicate-ports.js";
import { duplicateServices } from "./analyzers/duplicate-services.js";
import { duplicateSubsets } from "./analyzers/duplicate-subsets.js";
import { failoverLocalities } from "./analyzers/failover-localities.js";
import { hashPolicy } from "./analyzers/hash-policy.js";
import { instancePorts } from "./analyzers/instance-ports.js";
import { healthCheckTiming } from "./analyzers/health-check-timing.js";
import { identity } from "./analyzers/identity.js";
import { reservedIdentity } from "./analyzers/identity-reserved.js";
import { matchCharacters } from "./analyzers/match-characters.js";
import { mirrorTarget } from "./analyzers/mirror-target.js";
import { mtlsNonMesh } from "./analyzers/mtls-non-mesh.js";
import { mtlsProxyless } from "./analyzers/mtls-proxyless.js";
import { portConflicts } from "./analyzers/port-conflicts.js";
import { protocolMismatch } from "./analyzers/protocol-mismatch.js";
import { proxylessSettings } from "./analyzers/proxyless-settings.js";
import { proxylessUpstreams } from "./analyzers/proxyless-upstreams.js";
import { regexSyntax } from "./analyzers/regex-syntax.js";
import { retryBackoff } from "./analyzers/retry-backoff.js";
import { routePorts } from "./analyzers/route-ports.js";
import { subsetPolicies } from "./analyzers/subset-policies.js";
import { retryIdempotency } from "./analyzers/retry-idempotency.js";
import { retryTimeout } from "./analyzers/retry-timeout.js";
import { selfCall } from "./analyzers/self-call.js";
import { shadowedRoutes } from "./analyzers/shadowed-routes.js";
import { splitWeights } from "./analyzers/split-weights.js";
import { subsetInstances } from "./analyzers/subset-instances.js";
import { unknownDependencies } from "./analyzers/unknown-dependencies.js";
import { unknownReferences } from "./analyzers/unknown-references.js";
import { accessLogPath } from "./analyzers/access-log-path.js";
import { metricsPort } from "./analyzers/metrics-port.js";
import { proxylessTelemetry } from "./analyzers/proxyless-telemetry.js";
import { telemetryCollector } from "./analyzers/telemetry-collector.js";
import { accessLogCollector } from "./analyzers/access-log-collector.js";
import { proxylessCapabilities } from "./analyzers/proxyless-capabilities.js";
import { tcpAccessLog } from "./analyzers/tcp-access-log.js";
import { traceSampling } from "./analyzers/trace-sampling.js";
import { directResponseBody } from "./analyzers/direct-response-body.js";
import { ejectionPercent } from "./analyzers/ejection-percent.js";
import { instanceWeights } from "./analyzers/instance-weights.js";
import { emptyMatchPrefix } from "./analyzers/empty-match-prefix.js";
import { envoyHeaderOps } from "./analyzers/envoy-header-ops.js";
import { headerCredentials } from "./analyzers/header-credentials.js";
import { faultDelay } from "./analyzers/fault-delay.js";
import { grpcHealthCheck } from "./analyzers/grpc-health-check.js";
import { rateLimitInterval } from "./analyzers/rate-limit-interval.js";
import { redirectRewrite } from "./analyzers/redirect-rewrite.js";
import { regexProgramSize } from "./analyzers/regex-program-size.js";
import { registryKeys } from "./analyzers/registry-keys.js";
import { instanceSidecars } from "./analyzers/instance-sidecars.js";
import { patchTargets } from "./analyzers/patch-targets.js";

export { CODES, codeInfo, listCodes, type CodeInfo, type CodeName } from "./codes.js";
export type { Analyzer } from "./context.js";

/** Every analyzer, in code order. */
export const ANALYZERS: readonly Analyzer[] = [
  unknownReferences, // 0101 0102
  unknownDependencies, // 0103
  subsetInstances, // 0104 0105
  selfCall, // 0106
  failoverLocalities, // 0107
  instancePorts, // 0108 0208
  routePorts, // 0109 0314
  subsetPolicies, // 0110
  duplicateServices, // 0201
  duplicatePorts, // 0202 0203
  portConflicts, // 0204
  duplicateSubsets, // 0205
  duplicateEndpoints, // 0206
  externalServices, // 0230 0231 0232
  gatewayHosts, // 0233 0234 0239
  instanceSidecars, // 0236 0237 0238
  patchTargets, // 0243
  splitWeights, // 0301 0320 0362
  shadowedRoutes, // 0303
  protocolMismatch, // 0304 0305 0306
  mirrorTarget, // 0307
  regexSyntax, // 0308 0309
  matchCharacters, // 0310 0311
  proxylessUpstreams, // 0312
  proxylessSettings, // 0313
  // 0320 is split-weights'; 0321-0331: Envoy's run-time rules beyond (validate.rules).
  envoyHeaderOps, // 0321 0322
  directResponseBody, // 0323
  redirectRewrite, // 0324 0325
  rateLimitInterval, // 0326
  regexProgramSize, // 0327
  grpcHealthCheck, // 0328
  emptyMatchPrefix, // 0329
  faultDelay, // 0330
  ejectionPercent, // 0331
  headerCredentials, // 0332
  instanceWeights, // 0361
  routeCallers, // 0350 0351
  corsOrigins, // 0352
  retryTimeout, // 0401
  retryIdempotency, // 0402
  retryBackoff, // 0403
  hashPolicy, // 0404
  healthCheckTiming, // 0405
  proxylessCapabilities, // 0420 0421
  identity, // 0501
  telemetryCollector, // 0601 0602
  metricsPort, // 0603
  accessLogPath, // 0604
  proxylessTelemetry, // 0605
  traceSampling, // 0606
  accessLogCollector, // 0607 0608
  tcpAccessLog, // 0609
  mtlsProxyless, // 0502
  mtlsNonMesh, // 0503 0504
  authzMtls, // 0701
  authzNeverMatches, // 0702 0713
  authzDryRunDeny, // 0703
  authzCalls, // 0704 0705
  authzTcp, // 0706
  authzPaths, // 0707
  authzCallers, // 0708 0709
  authzTargets, // 0710 0711 0712 0714
  authzGateway, // 0240
  gatewayTargets, // 0241
  registryKeys, // 0801 0802
  reservedIdentity, // 0715
];

export interface AnalyzeOptions {
  /**
   * Directory IR `source.file` paths are relative to (the front end's `baseDir`). When given, diagnostic files are
   * resolved against it (absolute, like the front end's own diagnostics); otherwise `file` is `source.file` as is.
   */
  baseDir?: string;
}

/** All diagnostics for a mesh, sorted by file, line, column, code (then path and message). */
export function analyze(ir: MeshIR, options: AnalyzeOptions = {}): Diagnostic[] {
  const { baseDir } = options;
  const ctx = new AnalysisContext(ir, baseDir);
  for (const a of ANALYZERS) a.run(ctx);
  const located =
    baseDir === undefined ? ctx.diagnostics : ctx.diagnostics.map((d) => (d.file === undefined ? d : { ...d, file: resolve(baseDir, d.file) }));
  return dedupe(sortDiagnostics(located));
}

/**
 * One copy of diagnostics that say the same thing at the same place (e.g. a mesh default inherited by many
 * services): same code, location and message; the first in sorted order (by path) is kept.
 */
function dedupe(sorted: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return sorted.filter((d) => {
    if (d.file === undefined) return true;
    const key = JSON.stringify([d.code, d.file, d.line, d.column, d.message]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
