// `meshc bootstrap <mesh.ts> --all --out <dir>` (issue 13): every proxy's bootstrap from one compile, instead of one
// `meshc bootstrap --service S` (and one compile of the whole mesh) per service. Writes
//   <dir>/<service>/<instance>.yaml   an Envoy bootstrap per sidecar or gateway instance (.json with --format json)
//   <dir>/<service>/<instance>.json   a gRPC xDS bootstrap per proxyless client instance
// where <instance> is the node id ("<address>:<port>" of each static instance, its ":" written "_" in the file name;
// the service's name for DNS-resolved or instance-less services). External and nonMesh services have no proxy.
// Fails closed: any error and nothing is written.
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import type { Command } from "@commander-js/extra-typings";
import {
  DEFAULT_XDS,
  formatBootstrapIssue,
  parseXdsAddress,
  renderBootstrap,
  renderGrpcBootstrap,
  type BootstrapFormat,
  type XdsAddress,
} from "../../backends/envoy/bootstrap/index.js";
import { writeFileAtomic } from "../../build/write.js";
import { exitCodeFor, render } from "../../diagnostics/render.js";
import { unreadableInput } from "../../diagnostics/ci.js";
import type { ServiceIR } from "../../ir/types.js";
import { compileMesh } from "../../pipeline.js";
import { instanceNodeId } from "../../backends/envoy/instance-sidecar.js";
import { evalLimits } from "../eval-options.js";
import type { BootstrapFlags } from "./bootstrap.js";

/** Node ids of a service's instances: "<address>:<port of its first declared port>" per static instance. */
export function instanceIds(s: ServiceIR): string[] {
  if (s.instances.kind !== "static" || s.instances.endpoints.length === 0) return [s.name];
  return [...new Set(s.instances.endpoints.map((e) => instanceNodeId(s, e)))];
}

export async function bootstrapAll(mesh: string, flags: BootstrapFlags & { all?: true }, cmd: Command<any, any, any>): Promise<void> {
  const usage = (message: string): never => cmd.error(`error: ${message}`, { exitCode: 2 });
  if (flags.out === undefined) usage("--all needs --out <dir>");
  for (const [flag, v] of [["--service", flags.service], ["--instance", flags.instance], ["--admin-port", flags.adminPort], ["--static", flags.static], ["--grpc", flags.grpc], ["--ca", flags.ca], ["--certs", flags.certs]] as const) {
    if (v !== undefined) usage(`--all cannot be combined with ${flag}`);
  }
  let xds: XdsAddress = DEFAULT_XDS;
  if (flags.xds !== undefined) xds = parseXdsAddress(flags.xds) ?? usage(`--xds ${flags.xds}: expected host:port (IPv6 as [addr]:port)`);
  const format: BootstrapFormat = flags.format ?? "yaml";
  const unreadable = unreadableInput(mesh);
  if (unreadable) usage(unreadable);

  const compiled = await compileMesh(mesh, evalLimits(flags));
  if (compiled.diagnostics.length) process.stderr.write(render(compiled.diagnostics, process.env.GITHUB_ACTIONS === "true" ? "github" : "human"));
  if (exitCodeFor(compiled.diagnostics) !== 0 || !compiled.ir) {
    process.exitCode = 1;
    return;
  }
  const ir = compiled.ir;
  const files: { path: string; text: string }[] = [];
  const errors: string[] = [];
  for (const s of ir.services) {
    if (s.nonMesh || s.external) continue;
    for (const id of instanceIds(s)) {
      const file = join(flags.out!, s.name, id.replace(/[:[\]]/g, "_"));
      const r = s.proxyless
        ? renderGrpcBootstrap(ir, { service: s.name, instance: id, xds })
        : renderBootstrap(ir, { service: s.name, instance: id, xds, format, ...(flags.delta && { delta: true }), ...(flags.template !== undefined && { template: flags.template }) });
      if (!r.ok) errors.push(...r.issues.map((i) => `${s.name} (${id}): ${formatBootstrapIssue(i)}`));
      else files.push({ path: `${file}.${s.proxyless ? "json" : format === "json" ? "json" : "yaml"}`, text: r.text });
    }
  }
  if (errors.length) {
    process.stderr.write(errors.map((e) => `error: ${e}\n`).join(""));
    process.exitCode = 1;
    return;
  }
  try {
    for (const f of files) {
      mkdirSync(join(f.path, ".."), { recursive: true });
      await writeFileAtomic(f.path, f.text);
    }
  } catch (err) {
    cmd.error(`meshc bootstrap: cannot write to ${flags.out}: ${(err as Error).message}`, { exitCode: 2 });
  }
  process.stderr.write(`meshc: wrote ${files.length} bootstrap${files.length === 1 ? "" : "s"} to ${relative(process.cwd(), flags.out!) || flags.out}\n`);
}
