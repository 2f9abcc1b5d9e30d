// Driving the real meshc CLI: `meshc serve` and `meshc run` (one Envoy sidecar) as child processes, and reading
// the server's admin endpoints (/readyz, /debug/proxies, /debug/snapshot/<svc>, /debug/diagnostics, /metrics).
import { eventually, meshcCommand, StopPolling, type Proc, type Procs } from "./procs.js";
import { getJson, getText } from "./http.js";

export interface ServeOptions {
  mesh: string;
  xdsPort: number;
  adminPort: number;
  name?: string;
  debounceMs?: number;
  /** More `meshc serve` arguments, e.g. ["--ca", dir]. */
  extraArgs?: string[];
}

export function startServe(procs: Procs, o: ServeOptions): Proc {
  const c = meshcCommand(["serve", o.mesh, "--xds", `127.0.0.1:${o.xdsPort}`, "--admin", `127.0.0.1:${o.adminPort}`, "--debounce", String(o.debounceMs ?? 100), ...(o.extraArgs ?? [])]);
  return procs.start({ name: o.name ?? "meshc-serve", ...c });
}

/** Waits for /readyz (a snapshot is loaded and the admin server is up). */
export async function waitServeReady(adminPort: number, proc?: Proc, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      // A serve that hit an internal error (e.g. its admin port taken) may print it and keep running.
      // Not ready without a first good load, so a failed one ends the wait too.
      if (proc && (!proc.running || /meshc: internal error|"msg":"load failed/.test(proc.tail(30)))) throw new StopPolling(`meshc serve failed:\n${proc.tail(30)}`);
      return (JSON.parse(await getText(adminPort, "/readyz", 2000)) as { ready?: boolean }).ready === true;
    },
    `meshc serve (admin :${adminPort}) to be ready`,
    timeoutMs,
    150,
  );
}

export interface SidecarOptions {
  mesh: string;
  service: string;
  instance: string;
  xdsPort: number;
  delta?: boolean;
  /** The Envoy binary (default: meshc's own lookup). */
  envoy?: string;
  /** Extra Envoy arguments (after --). */
  envoyArgs?: string[];
  /** More `meshc run` arguments, e.g. ["--ca", dir]. */
  runArgs?: string[];
}

/** `meshc run <mesh> --service S --instance I --xds … [--delta] -- --concurrency 1 …`: one Envoy sidecar. */
export function startSidecar(procs: Procs, o: SidecarOptions): Proc {
  const args = ["run", o.mesh, "--service", o.service, "--instance", o.instance, "--xds", `127.0.0.1:${o.xdsPort}`];
  if (o.delta) args.push("--delta");
  if (o.envoy) args.push("--envoy", o.envoy);
  args.push(...(o.runArgs ?? []));
  // One worker thread each (the machine is shared); info logs go to the sidecar's log file.
  args.push("--", "--concurrency", "1", "--log-level", "info", ...(o.envoyArgs ?? []));
  return procs.start({ name: `envoy-${o.instance}`, ...meshcCommand(args) });
}

export type Kind = "cluster" | "endpoint" | "listener" | "route" | "secret";

export interface ProxyStatus {
  streamId: number;
  api: "sotw" | "delta";
  service: string;
  node: { id: string; userAgentName?: string };
  connectedSince: string;
  acked: Partial<Record<Kind, string>>;
  sent: Partial<Record<Kind, string>>;
  pending: Kind[];
  nacks: number;
  lastNack?: { type: Kind; version: string; message: string };
  /** The snapshot variant the proxy gets (instance:<id>, locality:<region>,<zone>); absent: the service's. */
  variant?: string;
}

export const proxies = (adminPort: number) => getJson<ProxyStatus[]>(adminPort, "/debug/proxies");

/** The per-kind versions of a service's snapshot ("" for a kind it has no resources of). */
export async function snapshotVersions(adminPort: number, service: string, variant?: string): Promise<Record<Kind, string>> {
  const query = variant === undefined ? "" : `?variant=${encodeURIComponent(variant)}`;
  return (await getJson<{ versions: Record<Kind, string> }>(adminPort, `/debug/snapshot/${service}${query}`)).versions;
}

/** The kinds a snapshot has resources of, with their versions. */
function nonEmpty(versions: Record<Kind, string>): Partial<Record<Kind, string>> {
  return Object.fromEntries(Object.entries(versions).filter(([, v]) => v !== "")) as Partial<Record<Kind, string>>;
}

/**
 * Waits until, for every given node id, the server shows a stream that has ACKed exactly its snapshot's versions
 * and has nothing pending. Returns the ACKed versions by node id.
 */
export async function waitConverged(adminPort: number, nodes: Record<string, string>, timeoutMs = 30_000): Promise<Record<string, Partial<Record<Kind, string>>>> {
  let last: unknown;
  try {
    return await eventually(
      async () => {
        const list = await proxies(adminPort);
        const out: Record<string, Partial<Record<Kind, string>>> = {};
        for (const [nodeId, service] of Object.entries(nodes)) {
          const p = list.find((x) => x.node.id === nodeId && x.service === service);
          // A proxy served a snapshot variant (issue 13) must have ACKed that variant's versions.
          const want = nonEmpty(await snapshotVersions(adminPort, service, p?.variant));
          last = { nodeId, want, got: p };
          if (!p || p.pending.length > 0) return undefined;
          for (const [k, v] of Object.entries(want)) if (p.acked[k as Kind] !== v) return undefined;
          out[nodeId] = p.acked;
        }
        return out;
      },
      `proxies ${Object.keys(nodes).join(", ")} to ACK their snapshots`,
      timeoutMs,
      150,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${JSON.stringify(last)}`);
  }
}

/** Sum of a Prometheus metric's samples on /metrics (optionally only those with these labels). */
export async function metric(adminPort: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await getText(adminPort, "/metrics");
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) sum += Number(m[3]);
  }
  return sum;
}
