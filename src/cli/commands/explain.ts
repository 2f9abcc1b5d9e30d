// `meshc explain authz <mesh.ts> [--from A --to B --path P --method M ...]`: compiles the mesh and says, from the
// compiled Envoy RBAC filters of B's inbound listener (not from the DSL), whether A's request is allowed, which
// rule decides, and why; dry-run rules that would have refused it are listed too. Without --from/--to it prints
// every policy's rules as compiled. When B is an ingress gateway the filters are those of its listener for the
// port (gateway|<port>), and the caller has no mesh identity whatever --from says: a gateway's callers come from
// outside the mesh and present no client certificate, so Envoy's principal there is empty.
import { Option, type Command } from "@commander-js/extra-typings";
import type { Canonical } from "../../backends/envoy/api/canonical.js";
import { canonicalOf } from "../../backends/envoy/encode.js";
import { gatewayResourceName } from "../../backends/envoy/gateway.js";
import { inboundListenerName } from "../../backends/envoy/names.js";
import { evaluateHcm, type AuthzRequest, type AuthzVerdict } from "../../authz/evaluate.js";
import { render, shouldUseColor } from "../../diagnostics/render.js";
import { effectivePolicy, isGateway } from "../../ir/authz.js";
import type { AuthzRuleIR, MeshIR } from "../../ir/types.js";
import { compileMesh } from "../../pipeline.js";

const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

function ruleText(r: AuthzRuleIR): string {
  const parts: string[] = [];
  if (r.from) parts.push(`from ${r.from.map((c) => (c.kind === "service" ? c.service : c.kind === "identity" ? c.identity : `trust domain ${c.trustDomain}`)).join(" | ")}`);
  if (r.notFrom) parts.push(`not from ${r.notFrom.map((c) => (c.kind === "service" ? c.service : c.kind === "identity" ? c.identity : `trust domain ${c.trustDomain}`)).join(" | ")}`);
  if (r.ports) parts.push(`ports ${r.ports.join(", ")}`);
  if (r.notPorts) parts.push(`not ports ${r.notPorts.join(", ")}`);
  if (r.methods) parts.push(`methods ${r.methods.join(", ")}`);
  if (r.notMethods) parts.push(`not methods ${r.notMethods.join(", ")}`);
  const path = (p: { kind: string; value: string; ignoreCase: boolean }) => `${p.kind} ${JSON.stringify(p.value)}${p.ignoreCase ? " (any case)" : ""}`;
  if (r.paths) parts.push(`paths ${r.paths.map(path).join(" | ")}`);
  if (r.notPaths) parts.push(`not paths ${r.notPaths.map(path).join(" | ")}`);
  for (const h of r.headers) parts.push(`header ${h.name} ${h.match.kind === "present" ? "present" : `${h.match.kind} ${JSON.stringify(h.match.value)}`}`);
  for (const h of r.notHeaders) parts.push(`no header ${h.name} ${h.match.kind === "present" ? "present" : `${h.match.kind} ${JSON.stringify(h.match.value)}`}`);
  return parts.length ? parts.join("; ") : "every request";
}

function ruleByName(ir: MeshIR, service: string, name: string): AuthzRuleIR | undefined {
  const svc = ir.services.find((s) => s.name === service);
  return svc ? effectivePolicy(ir, svc)?.rules.find((r) => r.name === name) : undefined;
}

export function explainVerdict(ir: MeshIR, service: string, verdict: AuthzVerdict): string {
  const svc = ir.services.find((s) => s.name === service);
  const proxy = svc && isGateway(svc) ? "gateway" : "sidecar";
  const lines: string[] = [];
  const where = (name: string) => {
    const r = ruleByName(ir, service, name);
    if (!r) return name === "meshc-path-safety" ? `built-in ${name} (..; segments, overlong UTF-8)` : name;
    const at = r.source ? ` at ${r.source.file}:${r.source.line}:${r.source.column}` : "";
    return `${r.action} rule ${JSON.stringify(name)}${at} (${ruleText(r)}${r.dryRun ? ", dry run" : ""})`;
  };
  if (verdict.decision === "rejected") {
    lines.push(`REJECTED (400) before authorization: ${verdict.rejectReason}`);
    return lines.join("\n") + "\n";
  }
  lines.push(`path as matched: ${verdict.normalizedPath}`);
  const d = verdict.decidedBy;
  if (!d) lines.push(`ALLOWED (200 from the ${proxy}'s point of view)`);
  else if (d.action === "DENY") lines.push(`DENIED (403) by ${where(d.matched[0]!)}${d.matched.length > 1 ? ` (also: ${d.matched.slice(1).join(", ")})` : ""}`);
  else lines.push(`DENIED (403) by the default: no allow rule matches`);
  if (!d) {
    const allow = verdict.filters.find((f) => f.action === "ALLOW" && f.enforced);
    if (allow) lines.push(`  allowed by ${where(allow.matched[0]!)}`);
    else lines.push("  no deny rule matches and the default is allow");
  }
  for (const f of verdict.filters) {
    if (f.shadowDenies && !f.denies) {
      const extra = f.action === "DENY" ? f.shadowMatched.filter((m) => !f.matched.includes(m)).map(where).join("; ") : "no allow rule (dry run included) matches";
      lines.push(`  dry run: would be DENIED (${extra}); counted in ${f.action === "DENY" ? "rbac.meshc_dryrun_deny.shadow_denied" : "rbac.meshc_dryrun_allow.shadow_denied"}`);
    }
  }
  return lines.join("\n") + "\n";
}

export function register(program: Command): void {
  const explain = program.command("explain").description("explain how the compiled configuration treats something");
  explain
    .command("authz")
    .description("say whether a request is allowed, and which rule decides, from the compiled RBAC filters")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .option("--from <service>", "calling service of this mesh (its SPIFFE ID is the verified principal)")
    .option("--from-identity <spiffeId>", "calling identity outside the mesh")
    .option("--no-identity", "caller without a mesh identity (plaintext)")
    .option("--to <service>", "called service")
    .option("--port <name>", "port of the called service (default: its first HTTP port)")
    .option("--path <path>", "request path (query allowed)", "/")
    .addOption(new Option("--method <method>", "HTTP method").default("GET"))
    .option("--header <name=value...>", "request headers")
    .action(async (mesh, opts) => {
      const result = await compileMesh(mesh);
      if (result.diagnostics.length) process.stderr.write(render(result.diagnostics, "human", { color: shouldUseColor(process.stderr) }));
      const { ir, snapshot } = result;
      if (!ir || !snapshot) {
        process.exitCode = 1;
        return;
      }
      if (!opts.to) {
        for (const svc of ir.services) {
          const p = effectivePolicy(ir, svc);
          if (!p) continue;
          const gw = isGateway(svc) ? " (gateway: its callers have no mesh identity)" : "";
          process.stdout.write(`${svc.name}: default ${p.default}${p.enforcedDefault !== p.default ? ` (dry run; enforced: ${p.enforcedDefault})` : p.dryRun ? " (dry run)" : ""}${gw}\n`);
          for (const r of p.rules) process.stdout.write(`  ${r.action} ${r.name}: ${ruleText(r)}${r.dryRun ? " (dry run)" : ""}\n`);
        }
        return;
      }
      const to = ir.services.find((s) => s.name === opts.to);
      if (!to) return explain.error(`--to: no service "${opts.to}" in this mesh`, { exitCode: 2 }) as never;
      const port = opts.port ? to.ports.find((p) => p.name === opts.port) : to.ports.find((p) => p.protocol !== "tcp");
      if (!port || port.protocol === "tcp") return explain.error(`--port: "${to.name}" has no HTTP port ${opts.port ?? ""}`.trim(), { exitCode: 2 }) as never;
      let principal: string | undefined;
      if (opts.from) {
        const from = ir.services.find((s) => s.name === opts.from);
        if (!from) return explain.error(`--from: no service "${opts.from}" in this mesh`, { exitCode: 2 }) as never;
        principal = from.identity;
      } else if (opts.fromIdentity) principal = opts.fromIdentity;
      if (opts.identity === false) principal = undefined;
      const gateway = isGateway(to);
      // A gateway's callers present no client certificate: whoever they are, Envoy sees an empty principal.
      if (gateway && principal !== undefined) {
        process.stderr.write(`meshc: ${to.name} is a gateway: its callers have no mesh identity there, so ${principal} is evaluated as a caller without one\n`);
        principal = undefined;
      }
      const headers: Record<string, string> = {};
      for (const h of opts.header ?? []) {
        const i = h.indexOf("=");
        if (i > 0) headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1);
      }
      const req: AuthzRequest = { method: opts.method.toUpperCase() === opts.method ? opts.method : opts.method, path: opts.path, headers, ...(principal !== undefined ? { principal } : {}) };
      const listenerName = gateway ? gatewayResourceName(port.port) : inboundListenerName(port.port);
      const listener = snapshot.proxies.get(to.name)?.resources.listener.find((l) => l.name === listenerName);
      if (!listener) return explain.error(`no ${gateway ? "gateway" : "inbound"} listener for ${to.name}:${port.name}`, { exitCode: 2 }) as never;
      const l = canonicalOf("listener", listener);
      const chains = (l.filter_chains as Canonical[]) ?? [];
      // Every chain of the listener carries the same RBAC filters; explain the first with a connection manager.
      const hcm = chains.flatMap((c) => (c.filters as Canonical[]) ?? []).map((f) => f.typed_config as Canonical).find((c) => c?.["@type"] === HCM);
      if (!hcm) return explain.error(`listener ${listener.name} has no HTTP connection manager`, { exitCode: 2 }) as never;
      const who = principal ?? "a caller without a mesh identity";
      process.stdout.write(`${opts.method} ${opts.path} from ${who} to ${to.name}:${port.name} (listener ${listener.name})\n`);
      process.stdout.write(explainVerdict(ir, to.name, evaluateHcm(hcm, req)));
    });
}
