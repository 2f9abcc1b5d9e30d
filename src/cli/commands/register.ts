// `meshc register <mesh.ts> --service S --address A --port P [--labels k=v,...] [--locality region/zone] [--ttl 10s]`
// (issue 16): writes this instance's entry into the mesh's registry (the settings come from the mesh's
// `discovery`), under a lease it keeps alive while it runs. SIGTERM/SIGINT revoke the lease, so the entry is gone
// at once; a killed process's entry disappears when its lease expires (the TTL). The key and JSON layout are in
// src/discovery/layout.ts and docs/dsl.md.
import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { dirname, resolve } from "node:path";
import { renderHuman } from "../../diagnostics/render.js";
import type { Registration } from "../../discovery/etcd.js";
import { entryKey, entrySchema, entryValue, INSTANCE_ID, type RegistryEntry } from "../../discovery/layout.js";
import type { MeshIR } from "../../ir/types.js";
import { parseLocalityFlag } from "../../backends/envoy/bootstrap/identity.js";
import { compileMesh } from "../../pipeline.js";
import { parseDurationMs } from "../units.js";

export interface RegisterFlags {
  service: string;
  address: string;
  port?: string;
  ports?: string;
  labels?: string;
  locality?: string;
  weight?: string;
  ttl?: number;
  id?: string;
}

function pairs(text: string | undefined, what: string): Record<string, string> | undefined {
  if (text === undefined || text === "") return undefined;
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const i = part.indexOf("=");
    if (i <= 0) throw new InvalidArgumentError(`${what}: expected name=value[,name=value], got "${part}"`);
    out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** The entry and key for flags against a compiled mesh; a string is the problem (a usage error). */
export function registrationFor(ir: MeshIR, f: RegisterFlags): { key: string; entry: RegistryEntry; ttlSeconds: number } | string {
  if (!ir.discovery) return "the mesh declares no registry (defineMesh({ discovery: etcd({...}) }))";
  const s = ir.services.find((x) => x.name === f.service);
  if (!s) return `no service "${f.service}" in the mesh`;
  if (!s.registry) return `service "${f.service}" does not take instances from a registry (instances: registry({ key }))`;
  const ports = pairs(f.ports, "--ports");
  const raw: Record<string, unknown> = { address: f.address };
  if (f.port !== undefined) raw.port = Number(f.port);
  if (ports) raw.ports = Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, Number(v)]));
  const labels = pairs(f.labels, "--labels");
  if (labels) raw.labels = labels;
  if (f.locality !== undefined) {
    raw.locality = parseLocalityFlag(f.locality);
  }
  if (f.weight !== undefined) raw.weight = Number(f.weight);
  const r = entrySchema.safeParse(raw);
  if (!r.success) return r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
  if (r.data.port !== undefined && r.data.ports !== undefined) return "give --port or --ports, not both";
  if (r.data.port !== undefined && s.ports.length > 1) return `service "${s.name}" has several ports: give --ports name=N,...`;
  for (const n of Object.keys(r.data.ports ?? {})) if (!s.ports.some((p) => p.name === n)) return `"${n}" is not a port of service "${s.name}"`;
  const id = f.id ?? `${f.address.includes(":") ? `[${f.address}]` : f.address}:${r.data.port ?? Object.values(r.data.ports ?? {})[0] ?? s.ports[0]?.port ?? 0}`;
  if (!INSTANCE_ID.test(id)) return `--id "${id}": letters, digits, ".", "_", ":", "[", "]" and "-" only`;
  const ttlMs = f.ttl ?? 10_000;
  if (ttlMs < 2000 || ttlMs > 3_600_000) return "--ttl must be from 2s to 1h";
  return { key: entryKey(ir.discovery.prefix, s.registry.key, id), entry: r.data, ttlSeconds: Math.round(ttlMs / 1000) };
}

/** Compiles the mesh and registers; resolves with the registration, or sets the exit code and resolves undefined. */
export async function registerFromMesh(mesh: string, flags: RegisterFlags, log: (msg: string) => void): Promise<Registration | undefined> {
  const result = await compileMesh(mesh);
  if (!result.ir || result.diagnostics.some((d) => d.severity === "error")) {
    process.stderr.write(renderHuman(result.diagnostics, { color: false }) + "\n");
    process.exitCode = 1;
    return undefined;
  }
  const reg = registrationFor(result.ir, flags);
  if (typeof reg === "string") {
    process.stderr.write(`meshc register: ${reg}\n`);
    process.exitCode = 2;
    return undefined;
  }
  // Loaded here, not at the top: every meshc command imports this file, and only registering needs the etcd client.
  const { etcdClient, registerInstance } = await import("../../discovery/etcd.js");
  const client = etcdClient(result.ir.discovery!, dirname(resolve(mesh)));
  try {
    const r = await registerInstance(client, reg.key, entryValue(reg.entry), reg.ttlSeconds, log);
    log(`registered ${reg.key} ${entryValue(reg.entry)} (lease ttl ${reg.ttlSeconds}s)`);
    return r;
  } catch (err) {
    client.close();
    process.stderr.write(`meshc register: cannot reach the registry (${result.ir.discovery!.endpoints.join(",")}): ${(err as Error).message}\n`);
    process.exitCode = 3;
    return undefined;
  }
}

export function addRegisterOptions<C extends Command<any, any, any>>(cmd: C, optional: boolean): C {
  const p = optional ? "" : " (required)";
  return cmd
    .option("--address <ip>", `this instance's IP address${p}`)
    .option("--port <n>", "the port of a single-port service (default: the port's own number)")
    .option("--ports <name=n,...>", "per service port name, for a service with several ports")
    .option("--labels <k=v,...>", "labels (subsets select by them)")
    .option("--locality <region/zone[/subzone]>", "where this instance runs")
    .option("--weight <n>", "load-balancing weight (1-1000)")
    .option("--ttl <duration>", "lease TTL: a dead instance disappears this long after its last keepalive (default 10s)", parseDurationMs)
    .option("--id <id>", "instance id in the key (default: <address>:<port>)") as unknown as C;
}

export function register(program: Command): void {
  const cmd = program
    .command("register")
    .description("register this instance in the mesh's registry (etcd) under a lease kept alive while it runs")
    .argument("<mesh>", "the mesh entry file (mesh.ts)")
    .requiredOption("--service <name>", "the service this instance belongs to");
  addRegisterOptions(cmd, false).action(async (mesh, opts, self) => {
    const flags = opts as unknown as RegisterFlags;
    if (flags.address === undefined) return self.error("meshc register: --address is required", { exitCode: 2 });
    const log = (m: string) => process.stderr.write(`meshc register: ${m}\n`);
    const reg = await registerFromMesh(mesh, flags, log);
    if (!reg) return;
    await new Promise<void>((done) => {
      const stop = (sig: NodeJS.Signals) => {
        log(`${sig}: deregistering`);
        void reg.stop().then(done);
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
  });
}
