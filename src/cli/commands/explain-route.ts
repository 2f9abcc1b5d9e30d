// `meshc explain route <mesh> --from A --to B [--port P] [--path /x] [--method M] [-H 'name: value']...` (or
// `--from <gateway> --authority host[:port]`: a request arriving at an ingress gateway from outside): the
// evaluation `meshc test` runs, for one request and without a test file: the virtual host, every route in order
// with the first condition that failed, the route that matched and what it does (clusters and weights, timeout,
// retries, header changes, rewrite, fault, rate limit), then the callee sidecar's authorization verdict.
// Registered under `meshc explain` (created by ./explain.ts, which must be registered first).
import type { Command } from "@commander-js/extra-typings";
import { render, shouldUseColor } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { evaluateRequest, RequestError, type MeshVerdict } from "../../route/request.js";
import { describeOutcome } from "../../testing/check.js";
import { explainVerdict } from "./explain.js";
import type { MeshIR } from "../../ir/types.js";

export function formatRouteVerdict(ir: MeshIR, v: MeshVerdict): string {
  const r = v.request;
  const out: string[] = [];
  out.push(`${r.method} ${r.path} Host: ${r.authority}${Object.entries(r.headers).map(([k, x]) => `, ${k}: ${x}`).join("")}`);
  if (v.entryAuthz) {
    out.push(`authorization at gateway ${v.entryAuthz.service} (${v.entryAuthz.listener}), for a caller from outside the mesh:`);
    out.push(...explainVerdict(ir, v.entryAuthz.service, v.entryAuthz.verdict).trimEnd().split("\n").map((l) => `  ${l}`));
    if (v.entryAuthz.verdict.decision !== "allowed") out.push("  (the gateway answers before routing: the route below is not taken)");
  }
  out.push(`${v.atGateway ? `at gateway ${v.caller}` : `from ${v.caller}'s sidecar`}, listener ${v.listener}, route configuration ${v.route.routeConfig}`);
  if (v.route.virtualHost) out.push(`virtual host ${v.route.virtualHost}${v.route.matchPath !== undefined ? `, path as matched: ${v.route.matchPath}` : ""}`);
  const winner = v.route.checks.find((c) => c.matched);
  for (const c of v.route.checks) {
    const text = c === winner ? "MATCHES (first match wins)" : c.matched ? `matches too, but #${winner!.index} comes first` : `no: ${c.failed}`;
    out.push(`  #${c.index} ${c.name}: ${text}`);
  }
  out.push(describeOutcome(v));
  const o = v.route.outcome;
  if (o.kind === "forward") {
    out.push(`  timeout: ${o.timeoutMs === null ? "none" : `${o.timeoutMs} ms`}`);
    if (o.retry) out.push(`  retries: ${o.retry.numRetries} on ${o.retry.retryOn.join(",")}${o.retry.perTryTimeoutMs !== undefined ? `, ${o.retry.perTryTimeoutMs} ms per try` : ""}`);
    if (o.upstreamPath !== r.path) out.push(`  upstream path: ${o.upstreamPath}`);
    if (o.hostRewrite) out.push(`  upstream Host: ${o.hostRewrite}`);
    if (o.mirror) out.push(`  mirrored to ${o.mirror.cluster} (${o.mirror.percent}%)`);
  }
  const h = v.route.requestHeaders;
  for (const x of h.set) out.push(`  request header set: ${x.name}: ${x.value}`);
  for (const x of h.add) out.push(`  request header added: ${x.name}: ${x.value}`);
  for (const x of h.remove) out.push(`  request header removed: ${x}`);
  const rh = v.route.responseHeaders;
  for (const x of [...rh.set, ...rh.add]) out.push(`  response header: ${x.name}: ${x.value}`);
  for (const x of rh.remove) out.push(`  response header removed: ${x}`);
  const f = v.route.fault;
  if (f?.abort) out.push(`  fault: abort ${f.abort.httpStatus ?? `gRPC ${f.abort.grpcStatus}`} for ${f.abort.percent}% of requests`);
  if (f?.delay) out.push(`  fault: delay ${f.delay.ms} ms for ${f.delay.percent}% of requests`);
  const rl = v.route.rateLimit;
  if (rl) out.push(`  rate limit: ${rl.tokensPerFill} per ${rl.fillIntervalMs} ms, burst ${rl.maxTokens}`);
  if (v.authz) {
    out.push(`authorization at ${v.authz.service}'s sidecar (${v.authz.listener}):`);
    out.push(...explainVerdict(ir, v.authz.service, v.authz.verdict).trimEnd().split("\n").map((l) => `  ${l}`));
  }
  return out.join("\n") + "\n";
}

export function register(program: Command): void {
  const explain = program.commands.find((c) => c.name() === "explain");
  if (!explain) throw new Error("explain-route registers under `meshc explain`: register ./explain.ts first");
  explain
    .command("route")
    .description("say which route a request takes and what happens to it, from the caller's compiled route configuration")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .requiredOption("--from <service>", "calling service (its sidecar routes the request), or a gateway (the request arrives there from outside)")
    .option("--to <service>", "called service (the Host header); optional with --authority")
    .option("--port <name>", "port name of the called service (Host becomes <to>:<port number>)")
    .option("--authority <host>", "Host/:authority header instead of the one from --to/--port")
    .option("--path <path>", "request path (query allowed)", "/")
    .option("--method <method>", "HTTP method", "GET")
    .option("-H, --header <header...>", "request header, 'name: value' (repeatable)")
    .option("--grpc", "a gRPC request (content-type application/grpc, POST)")
    .option("--tcp", "a TCP connection: the caller's outbound TCP listener for --to decides")
    .option("--json", "print the evaluation as JSON")
    .action(async (mesh, opts, cmd) => {
      const headers: Record<string, string> = {};
      for (const h of opts.header ?? []) {
        const i = h.indexOf(":", h.startsWith(":") ? 1 : 0);
        if (i <= 0) return cmd.error(`--header: expected 'name: value', got ${JSON.stringify(h)}`, { exitCode: 2 }) as never;
        headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
      }
      if (opts.to === undefined && opts.authority === undefined) return cmd.error("meshc explain route: give --to <service> or --authority <host>", { exitCode: 2 }) as never;
      const result = await compileMesh(mesh);
      if (result.diagnostics.length) process.stderr.write(render(result.diagnostics, "human", { color: shouldUseColor(process.stderr) }));
      if (!result.ir || !result.snapshot) {
        process.exitCode = 1;
        return;
      }
      let v: MeshVerdict;
      try {
        v = evaluateRequest(result.ir, result.snapshot, {
          from: opts.from,
          ...(opts.to !== undefined ? { to: opts.to } : {}),
          ...(opts.port !== undefined ? { port: opts.port } : {}),
          ...(opts.authority !== undefined ? { authority: opts.authority } : {}),
          method: opts.grpc && opts.method === "GET" ? "POST" : opts.method,
          path: opts.path,
          headers,
          grpc: opts.grpc === true,
          ...(opts.tcp ? { tcp: true } : {}),
        });
      } catch (e) {
        if (e instanceof RequestError) return cmd.error(`meshc explain route: ${e.message}`, { exitCode: 2 }) as never;
        throw e;
      }
      process.stdout.write(opts.json ? JSON.stringify(v, null, 2) + "\n" : formatRouteVerdict(result.ir, v));
    });
}
