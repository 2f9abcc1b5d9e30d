// `meshc bootstrap <mesh.ts> --service S [...]`: the file a proxy starts from.
//   default    Envoy bootstrap: node, the xds_cluster, ADS (SotW, or Delta with --delta), admin on 127.0.0.1, stats;
//              rendered from the shipped Handlebars template or --template, then checked as a Bootstrap message.
//   --static   Envoy bootstrap with the proxy's whole compiled snapshot inlined: runs without `meshc serve`.
//   --grpc     gRPC xDS bootstrap JSON for a proxyless gRPC client (GRPC_XDS_BOOTSTRAP / _CONFIG).
// Output on stdout or --out; mesh diagnostics and bootstrap errors on stderr. Exit 0 = written, 1 = the mesh or the
// template has errors (nothing written), 2 = usage (unknown service, conflicting or malformed flags).
import { Option, type Command } from "@commander-js/extra-typings";
import { writeFileAtomic } from "../../build/write.js";
import { relative } from "node:path";
import { EnvoyValidationError } from "../../backends/envoy/api/issues.js";
import {
  checkBootstrap,
  DEFAULT_XDS,
  formatBootstrap,
  formatBootstrapIssue,
  formatXdsAddress,
  parseLocalityFlag,
  parseXdsAddress,
  renderBootstrap,
  renderGrpcBootstrap,
  resolveIdentity,
  type BootstrapFormat,
  type BootstrapIssue,
  type XdsAddress,
  type XdsTlsFiles,
} from "../../backends/envoy/bootstrap/index.js";
import type { LocalityIR } from "../../ir/types.js";
import { MtlsNeedsCaError, staticBootstrap } from "../../backends/envoy/static-bootstrap.js";
import { identitySecret, trustBundleSecret } from "../../backends/envoy/secrets.js";
import { CODES } from "../../analysis/codes.js";
import { loadCa } from "../../pki/ca-dir.js";
import { issueLeaf } from "../../pki/x509.js";
import { meshUsesMtls } from "../../serve/certificates.js";
import { credentialFilesFor, writeBootstrapCredential, xdsServerIdentity } from "../../pki/bootstrap-credential.js";
import type { Json } from "../../backends/envoy/api/json.js";
import { exitCodeFor, render } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { unreadableInput } from "../../diagnostics/ci.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";
import { bootstrapAll } from "./bootstrap-all.js";

export interface BootstrapFlags {
  service: string;
  instance?: string;
  /** region/zone[/subzone]: node.locality of an instance the mesh does not list (e.g. registered in etcd). */
  locality?: string;
  xds?: string;
  delta?: true;
  format?: BootstrapFormat;
  template?: string;
  adminPort?: string;
  static?: true;
  grpc?: true;
  out?: string;
  evalTimeout?: number;
  evalMaxHeap?: number;
  /** --static of an mTLS proxy: the mesh CA that issues its inlined leaf (issue 8). */
  ca?: string;
  /** --grpc of an mTLS client: where `meshc certs` writes its certificate files. */
  certs?: string;
}

/** A bootstrap ready to print or run. */
export interface ProducedBootstrap {
  service: string;
  nodeId: string;
  format: BootstrapFormat;
  text: string;
  /** The text inlines a private key (--static --ca): written 0600. */
  holdsKey?: boolean;
}

/** Adds the flags `meshc bootstrap` and `meshc run` share (their values arrive as BootstrapFlags). */
export function addBootstrapOptions(cmd: Command<any, any, any>, serviceRequired = true): void {
  if (serviceRequired) cmd.requiredOption("--service <name>", "the service whose proxy this is (node.cluster)");
  else cmd.option("--service <name>", "the service whose proxy this is (node.cluster); required unless --all");
  cmd
    .option("--instance <id>", "node.id of this instance (default: <service>-<short host name>); an <address>:<port> of a static instance also gives node.locality")
    .option("--xds <host:port[,host:port...]>", `xDS server address; several (replicas of meshc serve) are comma-separated and Envoy fails over between them (default: ${formatXdsAddress(DEFAULT_XDS)})`)
    .option("--delta", "use incremental (Delta) xDS instead of state of the world")
    .addOption(new Option("--format <format>", "output format (default: json when --out ends in .json, else yaml)").choices(["yaml", "json"] as const))
    .option("--template <file.hbs>", "Handlebars template replacing the shipped one (same data, same checks)")
    .option("--admin-port <port>", "Envoy admin port on 127.0.0.1 (default: the service's sidecar.adminPort)")
    .option("--static", "inline the proxy's whole configuration: no xDS server needed")
    .option("--ca <dir>", "the mesh CA: issues this proxy's short-lived ADS client certificate (files beside the bootstrap, key 0600) for `meshc serve --ca`; with --static, for a mesh with mTLS, the inlined certificate (the output then holds a private key)");
  addEvalOptions(cmd);
}

export function register(program: Command): void {
  const cmd = program
    .command("bootstrap")
    .description("print the bootstrap a service's Envoy sidecar (or, with --grpc, proxyless gRPC client) starts from")
    .argument("<mesh>", "the mesh entry module (mesh.ts)");
  addBootstrapOptions(cmd, false);
  cmd
    .option("--locality <region/zone[/subzone]>", "node.locality, for an instance the mesh does not list (e.g. one registered in the registry); default: the listed instance's")
    .option("--all", "every proxy's bootstrap from one compile, one file per instance under --out <dir>")
    .option("--grpc", "gRPC xDS bootstrap JSON for a proxyless gRPC client")
    .option("--certs <dir>", "with --grpc, for a client using mTLS: the directory `meshc certs` keeps its certificate files in")
    .option("-o, --out <file>", "write to this file instead of stdout (with --all: a directory)")
    .action(async (mesh, opts, self) => {
      const flags = opts as BootstrapFlags & { all?: true };
      if (flags.all) return bootstrapAll(mesh, flags, self);
      if (flags.service === undefined) self.error("error: required option '--service <name>' not specified (or give --all --out <dir>)", { exitCode: 2 });
      const produced = await produceBootstrap(mesh, flags, self);
      if (!produced) return;
      if (flags.out === undefined) {
        process.stdout.write(produced.text);
        return;
      }
      try {
        await writeFileAtomic(flags.out, produced.text, produced.holdsKey ? 0o600 : undefined);
      } catch (err) {
        self.error(`meshc bootstrap: cannot write ${flags.out}: ${(err as Error).message}`, { exitCode: 2 });
      }
      process.stderr.write(`meshc: wrote the bootstrap of ${produced.service} (node ${produced.nodeId}) to ${relative(process.cwd(), flags.out) || flags.out}\n`);
    });
}

/**
 * Compiles the mesh and produces the bootstrap the flags ask for. Usage problems end the command through
 * cmd.error (exit 2); mesh diagnostics and bootstrap errors are printed and leave exit code 1, returning undefined.
 */
export async function produceBootstrap(mesh: string, flags: BootstrapFlags, cmd: Command<any, any, any>, credentialNextTo?: string): Promise<ProducedBootstrap | undefined> {
  const usage = (message: string): never => cmd.error(`error: ${message}`, { exitCode: 2 });
  const conflicts = (flag: string, others: [string, unknown][]) => {
    const bad = others.filter(([, v]) => v !== undefined).map(([n]) => n);
    if (bad.length) usage(`${flag} cannot be combined with ${bad.join(", ")}`);
  };
  if (flags.grpc) conflicts("--grpc", [["--delta", flags.delta], ["--template", flags.template], ["--static", flags.static], ["--admin-port", flags.adminPort], ["--format yaml", flags.format === "yaml" ? true : undefined]]);
  if (flags.static) conflicts("--static", [["--delta", flags.delta], ["--template", flags.template], ["--xds", flags.xds]]);
  let xds: XdsAddress = DEFAULT_XDS;
  let xdsServers: XdsAddress[] | undefined;
  if (flags.xds !== undefined) {
    xdsServers = flags.xds.split(",").map((one) => parseXdsAddress(one.trim()) ?? usage(`--xds ${flags.xds}: expected host:port[,host:port...] (IPv6 as [addr]:port)`));
    if (xdsServers.length > 16) usage("--xds: at most 16 servers");
    if (xdsServers.length > 1 && flags.grpc) usage("--xds with several servers is for Envoy; a proxyless gRPC bootstrap takes one");
    xds = xdsServers[0]!;
    if (xdsServers.length === 1) xdsServers = undefined;
  }
  let adminPort: number | undefined;
  if (flags.adminPort !== undefined) {
    adminPort = /^\d+$/.test(flags.adminPort) ? Number(flags.adminPort) : NaN;
    if (!(adminPort >= 1 && adminPort <= 65535)) usage(`--admin-port ${flags.adminPort}: expected a port number 1..65535`);
  }
  const format: BootstrapFormat = flags.grpc ? "json" : (flags.format ?? (flags.out?.endsWith(".json") ? "json" : "yaml"));

  const unreadable = unreadableInput(mesh);
  if (unreadable) usage(unreadable);
  const compiled = await compileMesh(mesh, evalLimits(flags));
  if (compiled.diagnostics.length) process.stderr.write(render(compiled.diagnostics, process.env.GITHUB_ACTIONS === "true" ? "github" : "human"));
  if (exitCodeFor(compiled.diagnostics) !== 0 || !compiled.ir) {
    process.exitCode = 1;
    return undefined;
  }
  const ir = compiled.ir;
  // Authenticated ADS (issue 9): --ca without --static issues the proxy's bootstrap credential beside the bootstrap.
  let xdsTls: XdsTlsFiles | undefined;
  if (flags.ca !== undefined && !flags.static && !flags.grpc) {
    const where = credentialNextTo ?? flags.out ?? usage("--ca needs --out: the proxy's credential files (certificate, key, trust bundle) are written beside the bootstrap");
    const svc = ir.services.find((s) => s.name === flags.service);
    if (svc && !svc.nonMesh && !svc.proxyless) {
      const files = credentialFilesFor(where);
      try {
        const cert = await writeBootstrapCredential(flags.ca, svc.identity, ir.mtls.certificates.leafLifetimeMs, files);
        process.stderr.write(`meshc: ADS client certificate for ${svc.identity} valid until ${cert.notAfter.toISOString()} written to ${files.cert} (key ${files.key}, mode 0600)\n`);
      } catch (err) {
        process.stderr.write(`error: --ca ${flags.ca}: ${(err as Error).message}\n`);
        process.exitCode = 1;
        return undefined;
      }
      xdsTls = { certFile: files.cert, keyFile: files.key, caFile: files.ca, serverIdentity: xdsServerIdentity(ir.trustDomain) };
    }
  }
  const base = { service: flags.service, xds, ...(flags.instance !== undefined && { instance: flags.instance }), ...(flags.locality !== undefined && { locality: parseLocalityFlag(flags.locality) }) };

  const result = flags.grpc
    ? renderGrpcBootstrap(ir, { ...base, ...(flags.certs !== undefined && { certsDir: flags.certs }) })
    : flags.static
      ? await renderStatic(ir, compiled.snapshot, { ...base, format, ...(adminPort !== undefined && { adminPort }), ...(flags.ca !== undefined && { ca: flags.ca }) })
      : renderBootstrap(ir, { ...base, format, ...(xdsServers && { xdsServers }), ...(flags.delta && { delta: true }), ...(flags.template !== undefined && { template: flags.template }), ...(adminPort !== undefined && { adminPort }), ...(xdsTls && { xdsTls }) });
  if (!result.ok) {
    const options = result.issues.filter((i) => i.kind === "option");
    if (options.length) usage(options.map(formatBootstrapIssue).join("\nerror: "));
    process.stderr.write(result.issues.map((i) => `error: ${formatBootstrapIssue(i)}\n`).join(""));
    process.exitCode = 1;
    return undefined;
  }
  for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
  return { service: flags.service, nodeId: result.nodeId, format, text: result.text, holdsKey: "holdsKey" in result && result.holdsKey === true };
}

type StaticResult = { ok: true; text: string; nodeId: string; warnings: string[]; holdsKey?: boolean } | { ok: false; issues: BootstrapIssue[] };

/** The proxy's leaf and the trust bundle from the mesh CA, for an mTLS proxy's static bootstrap. */
async function staticSecrets(ir: NonNullable<Awaited<ReturnType<typeof compileMesh>>["ir"]>, service: string, caDir: string) {
  const svc = ir.services.find((s) => s.name === service)!;
  const ca = await loadCa(caDir);
  const c = ir.mtls.certificates;
  const leaf = await issueLeaf(ca.authority, { spiffeId: svc.identity, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs });
  return { secrets: [identitySecret([leaf.cert.pem, ...ca.chain].join(""), leaf.key), trustBundleSecret(ca.bundle.join(""))], notAfter: leaf.cert.notAfter };
}

/**
 * --static: the backend's self-contained bootstrap (staticBootstrap), with this instance's node (id, cluster,
 * locality) and --admin-port applied, re-checked after the change.
 */
async function renderStatic(
  ir: NonNullable<Awaited<ReturnType<typeof compileMesh>>["ir"]>,
  snapshot: Awaited<ReturnType<typeof compileMesh>>["snapshot"],
  opts: { service: string; instance?: string; locality?: LocalityIR; format: BootstrapFormat; adminPort?: number; ca?: string },
): Promise<StaticResult> {
  const node = resolveIdentity(ir, opts.service, opts.instance, opts.locality);
  if (Array.isArray(node)) return { ok: false, issues: node };
  if (node.service.proxyless) {
    return { ok: false, issues: [{ kind: "option", source: "--static", path: "", message: `service "${node.service.name}" is a proxyless gRPC client: it has no Envoy to bootstrap (use --grpc)` }] };
  }
  if (!snapshot) return { ok: false, issues: [{ kind: "schema", source: "bootstrap", path: "", message: "the mesh produced no snapshot" }] };
  let json: Record<string, Json>;
  const warnings: string[] = [];
  let tls: Awaited<ReturnType<typeof staticSecrets>> | undefined;
  try {
    if (opts.ca !== undefined && meshUsesMtls(ir)) tls = await staticSecrets(ir, node.service.name, opts.ca);
  } catch (err) {
    return { ok: false, issues: [{ kind: "option", source: "--ca", path: "", message: (err as Error).message }] };
  }
  if (tls) warnings.push(`the inlined certificate expires at ${tls.notAfter.toISOString()} and is not rotated: re-run to renew it, or use \`meshc serve --ca\``);
  try {
    const selector = { id: node.id, ...(node.locality && { locality: node.locality }) };
    json = staticBootstrap(ir, node.service.name, snapshot, { node: selector, ...(tls && { secrets: tls.secrets }) }) as Record<string, Json>;
  } catch (err) {
    if (err instanceof MtlsNeedsCaError) {
      return { ok: false, issues: [{ kind: "schema", source: "static bootstrap", path: "", message: `[${CODES.MtlsWithoutCa.code}] ${err.message}` }] };
    }
    const message = err instanceof EnvoyValidationError ? err.issues.map((i) => `${i.path}: ${i.message}`).join("; ") : (err as Error).message;
    return { ok: false, issues: [{ kind: "schema", source: "static bootstrap", path: "", message }] };
  }
  const locality = node.locality && { ...(node.locality.region && { region: node.locality.region }), ...(node.locality.zone && { zone: node.locality.zone }), ...(node.locality.subZone && { sub_zone: node.locality.subZone }) };
  json.node = { id: node.id, cluster: node.service.name, ...(locality && { locality }) };
  const adminPort = opts.adminPort ?? node.sidecar?.adminPort;
  if (adminPort !== undefined) json.admin = { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } };
  const checked = checkBootstrap(json, "static bootstrap");
  if (!checked.ok) return checked;
  const header = `Static Envoy bootstrap for service "${node.service.name}", node "${node.id}": the whole configuration inlined, no xDS server`;
  return { ok: true, text: formatBootstrap(checked.json, opts.format, header), nodeId: node.id, warnings, holdsKey: tls !== undefined };
}
