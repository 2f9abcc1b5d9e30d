// Checks the recorded expectations of a mesh test against the compiled configuration: each request goes through
// src/route/request.ts (the caller's routing, the callee's RBAC, both from Envoy resources) and each assertion
// compares one part of that verdict. A failure says what happened instead: the route that matched, and for the
// route or target that was expected, the first condition that did not hold (or the earlier route that wins).
import { CODES } from "../analysis/codes.js";
import type { Assertion, Target } from "../dsl/testing.js";
import type { SourceSite } from "../dsl/site.js";
import type { Diagnostic } from "../diagnostics/types.js";
import { durationMs } from "../frontend/duration.js";
import type { MeshIR } from "../ir/types.js";
import type { RouteCheck } from "../route/evaluate.js";
import { evaluateRequest, parseCluster, RequestError, type MeshVerdict } from "../route/request.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import type { LoadedCase } from "./load-tests.js";

export interface Failure {
  site: SourceSite;
  /** What was expected and what happened, one line. */
  message: string;
  /** Why: the matching route, the first differing condition of the expected one. */
  explanation: string[];
}

export interface CaseResult {
  site: SourceSite;
  /** The request in one line: `web -> catalog GET /items x-canary: 1`. */
  title: string;
  passed: boolean;
  failures: Failure[];
  diagnostics: Diagnostic[];
}

class Invalid extends Error {}

export function requestTitle(c: Pick<LoadedCase, "request">): string {
  const r = c.request;
  const hs = Object.entries(r.headers).map(([k, v]) => ` ${k}: ${v}`).join(";");
  if (r.tcp) return `${r.from} -> ${r.to}${r.port ? `:${r.port}` : ""} TCP`;
  return `${r.from} -> ${r.to}${r.port ? `:${r.port}` : ""} ${r.method ?? (r.grpc ? "POST" : "GET")} ${r.path ?? "/"}${hs ? ` [${hs.trim()}]` : ""}`;
}

/** The verdict in words: what Envoy does with the request. */
export function describeOutcome(v: MeshVerdict): string {
  const abort = v.route.fault?.abort;
  const first = abort ? `; the fault filter aborts ${abort.percent}% of them first with ${abort.httpStatus !== undefined ? `HTTP ${abort.httpStatus}` : `gRPC status ${abort.grpcStatus}`}` : "";
  return outcomeText(v) + first;
}

function outcomeText(v: MeshVerdict): string {
  const o = v.route.outcome;
  const via = v.route.route ? `route ${JSON.stringify(v.route.route.name)} (#${v.route.route.index} of virtual host ${v.route.virtualHost})` : "";
  switch (o.kind) {
    case "forward":
      if (v.listener.includes("|tcp|")) return `TCP listener ${v.listener} forwards to ${o.clusters.map((c) => (o.clusters.length > 1 ? `${c.cluster} ${c.percent}%` : c.cluster)).join(", ")}`;
      return `${via} forwards to ${o.clusters.map((c) => (o.clusters.length > 1 ? `${c.cluster} ${c.percent}%` : c.cluster)).join(", ")}`;
    case "redirect":
      return `${via} redirects (${o.status}) to ${o.location}`;
    case "direct":
      return `${via} responds ${o.status}${o.body !== undefined ? ` ${JSON.stringify(o.body)}` : ""}`;
    case "rejected":
      return `the caller's sidecar rejects the request (400): ${o.reason}`;
    case "no-virtual-host":
      return `no virtual host of ${v.listener} serves Host ${JSON.stringify(v.request.authority)} (404)`;
    case "no-route":
      if (v.route.checks.length === 0 && v.listener.includes("|tcp|")) return "no TCP route";
      return `no route of virtual host ${v.route.virtualHost} matches (404)`;
  }
}

function whyNot(checks: RouteCheck[], pick: (c: RouteCheck) => boolean, what: string): string[] {
  const winner = checks.find((c) => c.matched);
  const candidates = checks.filter(pick);
  if (candidates.length === 0) return [`no route sends to ${what}`];
  const out: string[] = [];
  for (const c of candidates.slice(0, 3)) {
    if (c.failed) out.push(`route ${JSON.stringify(c.name)} (#${c.index}) ${c.clusters.length ? `sends to ${what} but ` : ""}does not match: ${c.failed}`);
    else if (winner && winner.index < c.index) out.push(`route ${JSON.stringify(c.name)} (#${c.index}) matches too, but route ${JSON.stringify(winner.name)} (#${winner.index}) comes first`);
  }
  return out;
}

function ms(d: string, what: string): number {
  const v = durationMs(d);
  if (v === undefined) throw new Invalid(`${what}: ${JSON.stringify(d)} is not a duration (e.g. "250ms", "2s")`);
  return v;
}

function sameTarget(ir: MeshIR, t: Target, cluster: string, what: string): boolean {
  const svc = ir.services.find((s) => s.name === t.service);
  if (!svc) throw new Invalid(`${what}: no service "${t.service}" in mesh "${ir.name}"`);
  if (t.subset !== undefined && !svc.subsets.some((s) => s.name === t.subset)) {
    throw new Invalid(`${what}: service "${t.service}" has no subset "${t.subset}" (subsets: ${svc.subsets.map((s) => s.name).join(", ") || "none"})`);
  }
  const port = t.port !== undefined ? svc.ports.find((p) => p.name === t.port) : undefined;
  if (t.port !== undefined && !port) throw new Invalid(`${what}: service "${t.service}" has no port "${t.port}"`);
  const p = parseCluster(cluster);
  return !!p && p.service === t.service && p.subset === t.subset && (port === undefined || p.port === port.port);
}

const targetText = (t: Target) => `${t.service}${t.subset ? ` subset ${t.subset}` : ""}${t.port ? ` port ${t.port}` : ""}`;

/** The value the upstream receives for a request header after the route's header operations (null: absent). */
function upstreamHeader(v: MeshVerdict, name: string): string | null {
  const n = name.toLowerCase();
  let value: string | null = v.request.headers[n] ?? null;
  const ops = v.route.requestHeaders;
  if (ops.remove.some((r) => r.toLowerCase() === n)) value = null;
  for (const a of ops.add) if (a.name.toLowerCase() === n) value = value === null ? a.value : `${value},${a.value}`;
  for (const s of ops.set) if (s.name.toLowerCase() === n) value = s.value;
  if (n === "host" || n === ":authority") return v.route.outcome.kind === "forward" ? (v.route.outcome.hostRewrite ?? v.request.authority) : v.request.authority;
  return value === null ? null : value.replace(/%%/g, "%");
}

function check(ir: MeshIR, v: MeshVerdict, a: Assertion): { message: string; explanation?: string[] } | undefined {
  const o = v.route.outcome;
  const happened = describeOutcome(v);
  const fwd = o.kind === "forward" ? o : undefined;
  const notForwarded = (what: string) => ({ message: `expected ${what}, but the request is not forwarded: ${happened}` });
  switch (a.kind) {
    case "routesTo": {
      const ok = fwd && fwd.clusters.length === 1 && sameTarget(ir, a.target, fwd.clusters[0]!.cluster, "routesTo");
      // Validate the target even when not forwarded.
      if (!fwd) sameTarget(ir, a.target, "", "routesTo");
      if (ok) return undefined;
      return {
        message: `expected it to go to ${targetText(a.target)}; ${happened}`,
        explanation: whyNot(v.route.checks, (c) => c.clusters.length > 0 && c.clusters.every((cl) => sameTarget(ir, a.target, cl, "routesTo")), targetText(a.target)),
      };
    }
    case "route": {
      if (v.route.route?.name === a.name) return undefined;
      const named = v.route.checks.filter((c) => c.name === a.name);
      return {
        message: `expected route ${JSON.stringify(a.name)}; ${happened}`,
        explanation: named.length ? whyNot(v.route.checks, (c) => c.name === a.name, `route ${a.name}`) : [`virtual host ${v.route.virtualHost ?? "(none)"} has no route named ${JSON.stringify(a.name)} (routes: ${v.route.checks.map((c) => c.name).join(", ") || "none"})`],
      };
    }
    case "splits": {
      const total = a.shares.reduce((x, s) => x + s.percent, 0);
      if (Math.abs(total - 100) > 1e-6) throw new Invalid(`splits: shares sum to ${total}, not 100`);
      const to = ir.services.find((s) => s.name === v.request.authority.split(":")[0]) ?? ir.services.find((s) => s.name === (v.destinations[0]?.service ?? ""));
      const targets = a.shares.map((s) => {
        const slash = s.key.indexOf("/");
        if (slash > 0) return { target: { service: s.key.slice(0, slash), subset: s.key.slice(slash + 1) }, percent: s.percent };
        if (to?.subsets.some((x) => x.name === s.key)) return { target: { service: to.name, subset: s.key }, percent: s.percent };
        if (ir.services.some((x) => x.name === s.key)) return { target: { service: s.key }, percent: s.percent };
        throw new Invalid(`splits: "${s.key}" is neither a subset of "${to?.name ?? "?"}" nor a service`);
      });
      if (!fwd) return notForwarded(`a split ${a.shares.map((s) => `${s.key} ${s.percent}%`).join(", ")}`);
      const got = fwd.clusters.map((c) => `${c.cluster} ${c.percent}%`).join(", ");
      const ok =
        targets.length === fwd.clusters.length &&
        targets.every((t) => fwd.clusters.some((c) => sameTarget(ir, t.target, c.cluster, "splits") && Math.abs(c.percent - t.percent) < 0.01));
      return ok ? undefined : { message: `expected a split ${a.shares.map((s) => `${s.key} ${s.percent}%`).join(", ")}; ${v.route.route ? `route ${JSON.stringify(v.route.route.name)} sends ${got}` : happened}` };
    }
    case "timeout": {
      const want = a.duration === null ? null : ms(a.duration, "withTimeout");
      if (!fwd) return notForwarded(`timeout ${a.duration}`);
      const got = fwd.timeoutMs;
      return got === want || (want === 0 && got === null) ? undefined : { message: `expected timeout ${a.duration ?? "none"}; route ${JSON.stringify(v.route.route!.name)} has ${got === null ? "none (0s)" : `${got} ms`}` };
    }
    case "retries":
    case "noRetries": {
      if (!fwd) return notForwarded("retries");
      const r = fwd.retry;
      const n = r?.numRetries ?? 0;
      if (a.kind === "noRetries") return n === 0 ? undefined : { message: `expected no retries; route ${JSON.stringify(v.route.route!.name)} retries ${n} time(s) on ${r!.retryOn.join(",")}` };
      const problems: string[] = [];
      if (n !== a.attempts) problems.push(`${n} retries`);
      if (a.on && r && [...new Set(a.on)].sort().join(",") !== [...r.retryOn].filter((x) => x !== "retriable-status-codes" || a.on!.includes(x)).sort().join(",")) problems.push(`retry on ${r.retryOn.join(",")}`);
      if (a.perTry !== undefined && r?.perTryTimeoutMs !== ms(a.perTry, "retries perTry")) problems.push(`per-try timeout ${r?.perTryTimeoutMs === undefined ? "none" : `${r.perTryTimeoutMs} ms`}`);
      return problems.length ? { message: `expected ${a.attempts} retries${a.on ? ` on ${a.on.join(",")}` : ""}${a.perTry ? ` of ${a.perTry} each` : ""}; route ${JSON.stringify(v.route.route!.name)} has ${problems.join(", ")}` } : undefined;
    }
    case "requestHeader": {
      if (!fwd) return notForwarded(`request header ${a.name}`);
      const got = upstreamHeader(v, a.name);
      return got === a.value ? undefined : { message: `expected the upstream to receive ${a.name}: ${a.value === null ? "(absent)" : JSON.stringify(a.value)}; it receives ${got === null ? "no such header" : JSON.stringify(got)}` };
    }
    case "responseHeader": {
      const ops = v.route.responseHeaders;
      const n = a.name.toLowerCase();
      const set = [...ops.set, ...ops.add].filter((h) => h.name.toLowerCase() === n).map((h) => h.value.replace(/%%/g, "%"));
      const removed = ops.remove.some((r) => r.toLowerCase() === n);
      if (a.value === null) return removed ? undefined : { message: `expected the route to remove response header ${a.name}; it does not` };
      return set.includes(a.value) ? undefined : { message: `expected response header ${a.name}: ${JSON.stringify(a.value)}; the route ${set.length ? `sets ${set.map((x) => JSON.stringify(x)).join(", ")}` : "does not set it"}` };
    }
    case "upstreamPath":
      if (!fwd) return notForwarded(`upstream path ${a.path}`);
      return fwd.upstreamPath === a.path ? undefined : { message: `expected the upstream to receive path ${JSON.stringify(a.path)}; it receives ${JSON.stringify(fwd.upstreamPath)}` };
    case "redirect":
      if (o.kind !== "redirect") return { message: `expected a redirect; ${happened}` };
      if (a.status !== undefined && a.status !== o.status) return { message: `expected redirect status ${a.status}; it is ${o.status}` };
      if (a.location !== undefined && a.location !== o.location) return { message: `expected redirect to ${a.location}; it is ${o.location}` };
      return undefined;
    case "respond":
      if (o.kind !== "direct") return { message: `expected a direct response ${a.status}; ${happened}` };
      if (o.status !== a.status || (a.body !== undefined && a.body !== o.body)) return { message: `expected a direct response ${a.status}${a.body !== undefined ? ` ${JSON.stringify(a.body)}` : ""}; ${happened}` };
      return undefined;
    case "fault": {
      const f = v.route.fault;
      if (!f) return { message: `expected fault injection; ${v.route.route ? `route ${JSON.stringify(v.route.route.name)} injects none` : happened}` };
      const problems: string[] = [];
      if (a.abort !== undefined && f.abort?.httpStatus !== a.abort) problems.push(`abort ${f.abort?.httpStatus ?? "none"}`);
      if (a.grpcAbort !== undefined && f.abort?.grpcStatus !== a.grpcAbort) problems.push(`gRPC abort ${f.abort?.grpcStatus ?? "none"}`);
      if (a.delay !== undefined && f.delay?.ms !== ms(a.delay, "injectsFault delay")) problems.push(`delay ${f.delay ? `${f.delay.ms} ms` : "none"}`);
      if (a.percent !== undefined) {
        const p = a.abort !== undefined || a.grpcAbort !== undefined ? f.abort?.percent : f.delay?.percent;
        if (p !== a.percent) problems.push(`at ${p ?? 0}%`);
      }
      return problems.length ? { message: `expected fault ${JSON.stringify({ ...a, kind: undefined })}; route ${JSON.stringify(v.route.route!.name)} has ${problems.join(", ")}` } : undefined;
    }
    case "rateLimit": {
      const r = v.route.rateLimit;
      const per = ms(a.per, "rateLimited per");
      const burst = a.burst ?? a.tokens;
      if (r && r.tokensPerFill === a.tokens && r.fillIntervalMs === per && r.maxTokens === burst) return undefined;
      return { message: `expected a rate limit of ${a.tokens} per ${a.per} (burst ${burst}); ${r ? `the route allows ${r.tokensPerFill} per ${r.fillIntervalMs} ms (burst ${r.maxTokens})` : v.route.route ? `route ${JSON.stringify(v.route.route.name)} has none` : happened}` };
    }
    case "allowed":
    case "denied": {
      if (!fwd) return notForwarded(a.kind === "allowed" ? "it to be allowed" : "it to be denied");
      // At a gateway its own filters decide first; the callee's sidecar sees only what the gateway let through.
      const at = v.entryAuthz && v.entryAuthz.verdict.decision !== "allowed" ? v.entryAuthz : v.authz;
      const z = at?.verdict;
      const decision = z?.decision ?? "allowed";
      const ruleOf = () => (z?.decidedBy ? (z.decidedBy.action === "DENY" ? z.decidedBy.matched[0] : "(default deny: no allow rule matches)") : z?.filters.find((f) => f.action === "ALLOW" && f.enforced)?.matched[0]);
      const where = at ? (at === v.entryAuthz ? `gateway ${at.service} (${at.listener})` : `${at.service}'s sidecar (${at.listener})`) : "the callee (no sidecar authorization)";
      if (a.kind === "allowed" && decision !== "allowed") return { message: `expected it to be allowed; ${where} ${decision === "rejected" ? `rejects it: ${z!.rejectReason}` : `denies it by ${ruleOf()}`}` };
      if (a.kind === "denied" && decision === "allowed") return { message: `expected it to be denied; ${where} allows it${ruleOf() ? ` by rule ${JSON.stringify(ruleOf())}` : ""}` };
      if (a.kind === "denied" && decision === "rejected") return { message: `expected it to be denied (403); ${where} rejects it (400): ${z!.rejectReason}` };
      if (a.rule !== undefined) {
        const matched = a.kind === "denied" ? (z?.decidedBy?.matched ?? []) : (z?.filters.find((f) => f.action === "ALLOW" && f.enforced)?.matched ?? []);
        if (!matched.includes(a.rule)) return { message: `expected rule ${JSON.stringify(a.rule)} to decide; ${matched.length ? `rule(s) ${matched.join(", ")} decide` : `no rule decides (${ruleOf() ?? "default"})`}` };
      }
      return undefined;
    }
    case "notRouted":
      return o.kind === "no-route" || o.kind === "no-virtual-host" ? undefined : { message: `expected no route to match; ${happened}` };
  }
}

export function checkCase(ir: MeshIR, snapshot: MeshSnapshot, c: LoadedCase): CaseResult {
  const title = requestTitle(c);
  const r = c.request;
  let v: MeshVerdict;
  try {
    v = evaluateRequest(ir, snapshot, {
      from: r.from,
      to: r.to,
      ...(r.port !== undefined ? { port: r.port } : {}),
      ...(r.authority !== undefined ? { authority: r.authority } : {}),
      ...(r.method !== undefined ? { method: r.method } : {}),
      ...(r.path !== undefined ? { path: r.path } : {}),
      headers: { ...r.headers },
      grpc: r.grpc,
      ...(r.tcp ? { tcp: true } : {}),
    });
  } catch (e) {
    if (!(e instanceof RequestError)) throw e;
    const d: Diagnostic = { code: CODES.InvalidTestRequest.code, severity: "error", message: e.message, hint: CODES.InvalidTestRequest.hint, ...c.site };
    return { site: c.site, title, passed: false, failures: [], diagnostics: [d] };
  }
  const failures: Failure[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const a of c.assertions) {
    try {
      const f = check(ir, v, a);
      if (!f) continue;
      const explanation = [`${v.atGateway ? `gateway ${v.caller}` : `${v.caller}'s sidecar`}: ${describeOutcome(v)}`, ...(f.explanation ?? [])];
      const winner = v.route.checks.find((x) => x.matched);
      if (!f.explanation && v.route.checks.length && winner) {
        const before = v.route.checks.filter((x) => x.index < winner.index);
        for (const b of before.slice(-2)) explanation.push(`route ${JSON.stringify(b.name)} (#${b.index}) does not match: ${b.failed}`);
      }
      failures.push({ site: a.site, message: f.message, explanation });
    } catch (e) {
      if (!(e instanceof Invalid)) throw e;
      diagnostics.push({ code: CODES.InvalidExpectation.code, severity: "error", message: e.message, hint: CODES.InvalidExpectation.hint, ...a.site });
    }
  }
  return { site: c.site, title, passed: failures.length === 0 && diagnostics.length === 0, failures, diagnostics };
}
