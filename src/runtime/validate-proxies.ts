// Runs the real Envoy (`envoy --mode validate`) on every distinct proxy configuration of a compiled mesh: the
// strongest acceptance gate meshc offers (`meshc check --envoy`, `meshc build --envoy`) and the oracle of the
// differential test. Each proxy's snapshot is inlined into a static bootstrap (staticBootstrap); proxies whose
// bootstraps are equal apart from node and admin address are validated once. Validations run in parallel
// (default 2 at a time). Envoy's verdict never throws: a bootstrap meshc cannot even assemble, an Envoy that
// crashes or times out, are results with `ok: false` and a `kind` saying which, so callers fail closed.
import { staticBootstrap } from "../backends/envoy/static-bootstrap.js";
import type { MeshIR } from "../ir/types.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import { runEnvoyValidate } from "./envoy-validate.js";

export interface ProxyValidation {
  /** The services sharing this configuration (sorted); the first one's bootstrap was validated. */
  services: string[];
  ok: boolean;
  /**
   * "accepted"; "rejected": Envoy read the config and refused it (exit 1 with its error message);
   * "bootstrap": meshc could not assemble the bootstrap; "failed": Envoy did not give a verdict (it could not be
   * started, crashed, was killed or timed out).
   */
  kind: "accepted" | "rejected" | "bootstrap" | "failed";
  /** Envoy's error message (or why there is no verdict); "" when accepted. */
  message: string;
}

export interface ValidateProxiesOptions {
  envoyPath: string;
  /** Validations in flight at once. @default 2 */
  concurrency?: number;
  /** Per validation. @default 60 s */
  timeoutMs?: number;
  /** Only these proxy configurations, by label ("web", "web (instance:…)"). @default every one */
  only?: readonly string[];
}

/** A proxyless client's API listeners are validated as ordinary listeners from this port on (never bound). */
const API_LISTENER_PORTS = 20000;

export async function validateProxies(ir: MeshIR, snapshot: MeshSnapshot, opts: ValidateProxiesOptions): Promise<ProxyValidation[]> {
  const groups = new Map<string, { services: string[]; bootstrap?: unknown; error?: string }>();
  // Every proxy configuration: each service's, and each of its snapshot variants (instance, locality), as
  // "<service> (<variant key>)".
  const targets = [...snapshot.proxies.keys()].sort().flatMap((service) => [
    { service, label: service, variant: undefined as string | undefined },
    ...[...(snapshot.proxies.get(service)!.variants?.keys() ?? [])].sort().map((variant) => ({ service, label: `${service} (${variant})`, variant })),
  ]);
  for (const { service: name, label: service, variant } of targets) {
    if (opts.only && !opts.only.includes(service)) continue;
    let key: string;
    let bootstrap: unknown;
    let error: string | undefined;
    try {
      bootstrap = staticBootstrap(ir, name, snapshot, { apiListeners: { socketPortsFrom: API_LISTENER_PORTS }, ...(variant !== undefined && { variant }) });
      const { node: _n, admin: _a, ...rest } = bootstrap as Record<string, unknown>;
      key = JSON.stringify(rest);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      key = `error:${service}`;
    }
    const g = groups.get(key);
    if (g) g.services.push(service);
    else groups.set(key, { services: [service], ...(bootstrap !== undefined && { bootstrap }), ...(error !== undefined && { error }) });
  }
  const jobs = [...groups.values()];
  return mapLimit(jobs, opts.concurrency ?? 2, async (job): Promise<ProxyValidation> => {
    if (job.error !== undefined) return { services: job.services, ok: false, kind: "bootstrap", message: job.error };
    const v = await runEnvoyValidate(job.bootstrap, {
      envoyPath: opts.envoyPath,
      name: `${job.services[0]}.json`,
      ...(opts.timeoutMs !== undefined && { timeoutMs: opts.timeoutMs }),
    });
    if (v.ok) return { services: job.services, ok: true, kind: "accepted", message: "" };
    // Exit 1 with Envoy's own "error initializing configuration" line is a verdict; anything else (a signal, a
    // crash, no binary) is not, and must not be mistaken for one.
    const rejected = v.exitCode === 1 && /error initializing configuration/.test(v.output);
    const message = rejected ? v.message : `${v.exitCode === null ? "no exit code" : `exit code ${v.exitCode}`}: ${lastLines(v.output)}`;
    return { services: job.services, ok: false, kind: rejected ? "rejected" : "failed", message };
  });
}

function lastLines(text: string): string {
  const lines = text.trim().split("\n");
  return lines.slice(-3).join(" | ") || "no output";
}

/** Runs `fn` over `items` with at most `limit` in flight, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
