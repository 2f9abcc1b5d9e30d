// `meshc serve` with a registry (issue 16): follows the mesh's `discovery` setting (a source per setting, replaced
// when a compile changes it), feeds the source's entries to the EDS overlay, and republishes after a burst of
// registry changes settles (coalesced: one snapshot per window however many entries changed). Only EDS versions
// change, so the xDS server pushes only EDS, and only to the proxies calling a changed service. An outage keeps the
// last entries: nothing is withdrawn; /readyz (body `registry`) and `meshc_registry_connected` show it.
// A changed `discovery` setting with the same prefix (another endpoint, TLS files) keeps serving the entries known
// so far until the new source's first list replaces them: an edit, or a new endpoint that does not answer, withdraws
// nothing. Only a new prefix (another namespace of entries) or removing `discovery` drops them.
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { CODES } from "../analysis/codes.js";
import { fillTemplate } from "../analysis/codes.js";
import type { EtcdTimings } from "../discovery/etcd.js";
import type { RegistryEntry } from "../discovery/layout.js";
import type { EndpointSource } from "../discovery/source.js";
import type { DiscoveryIR, MeshIR } from "../ir/types.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import type { EndpointOverlay } from "./registry-overlay.js";

/**
 * The registry's modules (the etcd client, the entries' zod schemas, the overlay), loaded by the first compile whose
 * mesh sets `discovery`: a mesh or build directory without a registry does not load them at start-up (issue 12).
 */
let modules: Promise<{ etcd: typeof import("../discovery/etcd.js"); overlay: typeof import("./registry-overlay.js") }> | undefined;
const registryModules = () => (modules ??= Promise.all([import("../discovery/etcd.js"), import("./registry-overlay.js")]).then(([etcd, overlay]) => ({ etcd, overlay })));

export interface RegistryStatus {
  source: string;
  state: "connecting" | "connected" | "unreachable";
  /** Human summary, e.g. "registry unreachable since …; serving the last known endpoints". */
  message: string;
  since: string;
  problem?: string;
  entries: number;
  rejected: number;
  /**
   * Whether the entries served were listed by this source; false while they are the last known ones from before
   * (a previous `discovery` setting, or the state directory at start) and the source has not listed yet.
   */
  listed: boolean;
  /** Where the entries served come from while `listed` is false. */
  lastKnownFrom?: string;
  /**
   * Set while the discovery setting followed is the one stored with the warm-start snapshot (mesh.ts has not compiled
   * since the start): where it comes from. The registry is watched and its changes applied as usual meanwhile.
   */
  settingFrom?: string;
}

export interface RegistryFeedOptions {
  logger: Logger;
  registry: Registry;
  /** Called when registry changes should be published (after coalescing). */
  republish(): void;
  /** Coalescing window for registry changes, ms. @default 100 */
  coalesceMs?: number;
  timings?: EtcdTimings;
}

/** A key for logs: at most 200 characters, then how long it was (src/discovery/layout.ts clipKey, without loading it). */
function clipKey(key: string): string {
  return key.length <= 200 ? key : `${key.slice(0, 200)}… (${Buffer.byteLength(key)} bytes)`;
}

export class RegistryFeed {
  private source: EndpointSource | undefined;
  /** The source's description (also when its client could not be created). */
  private description: string | undefined;
  private overlay: EndpointOverlay | undefined;
  /** The prefix the overlay's entries were read under. */
  private overlayPrefix: string | undefined;
  /** Set while the entries served are not (yet) the current source's list: where they came from. */
  private lastKnownFrom: string | undefined;
  private discoveryKey = "";
  /** Set while the discovery setting followed is the warm-start state's (RegistryStatus.settingFrom). */
  private settingFrom: string | undefined;
  /** Entries stored by a previous run (state directory), served as the last known ones until the first list. */
  private restored: { prefix: string; savedAt: string; entries: [string, string][] } | undefined;
  /** Whether the current source has listed the registry at least once. */
  private everListed = false;
  private state: RegistryStatus["state"] = "connecting";
  private since = new Date().toISOString();
  private problem: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = new Set<string>();
  private readonly connected: Gauge;
  private readonly rejectedTotal: Counter<"reason">;
  private readonly events: Counter<"kind">;
  private readonly publishes: Counter;

  constructor(private readonly o: RegistryFeedOptions) {
    const registers = [o.registry];
    this.connected = new Gauge({ name: "meshc_registry_connected", help: "1 while the registry (etcd) is reachable; 0 while serving the last known endpoints", registers });
    const feed = this;
    new Gauge({ name: "meshc_registry_entries", help: "Registry entries in use (valid, under a key a service uses)", registers, collect() {
      this.set(feed.overlay?.counts().entries ?? 0);
    } });
    this.rejectedTotal = new Counter({ name: "meshc_registry_entries_rejected_total", help: "Registry entries ignored as malformed or unusable (MESH0803), by reason", labelNames: ["reason"], registers });
    this.events = new Counter({ name: "meshc_registry_events_total", help: "Registry events received (put, delete, reset)", labelNames: ["kind"], registers });
    this.publishes = new Counter({ name: "meshc_registry_publishes_total", help: "Snapshots published because registry entries changed (after coalescing)", registers });
  }

  /**
   * After each good compile: follow the mesh's discovery setting (none: no overlay). At a warm start, also with the
   * IR stored with the snapshot (`stored`: when it was compiled), before mesh.ts compiles: the stored entries are
   * served and the registry watched as if that mesh had just compiled, until a compile replaces it.
   */
  async compiled(ir: MeshIR, baseDir: string, stored?: { compiledAt: string }): Promise<void> {
    this.settingFrom = stored && ir.discovery ? `the warm-start state (mesh compiled ${stored.compiledAt}); mesh.ts has not compiled since the start` : undefined;
    const key = ir.discovery ? JSON.stringify(ir.discovery) : "";
    if (key !== this.discoveryKey) {
      const m = ir.discovery ? await registryModules() : undefined;
      const previous = this.description;
      void this.stopSource();
      this.discoveryKey = key;
      if (ir.discovery && this.overlay && this.overlayPrefix === ir.discovery.prefix) {
        // Same prefix: the entries known so far keep serving until the new source lists (its reset replaces them).
        this.lastKnownFrom ??= `the previous discovery setting (${previous ?? "unknown"})`;
      } else {
        this.overlay = undefined;
        this.overlayPrefix = undefined;
        this.lastKnownFrom = undefined;
      }
      const restored = this.restored;
      this.restored = undefined; // only ever for the first source
      if (ir.discovery && !this.overlay && restored && restored.prefix === ir.discovery.prefix) {
        // Already validated when received: bounded by RESTORED_ENTRY_BYTES, not the 4 KiB of a value received (their
        // re-serialized form can be longer, src/discovery/layout.ts).
        this.newOverlay(ir.discovery.prefix, m!).reset(restored.entries.map(([k, v]) => ({ key: k, value: Buffer.from(v), restored: true })));
        this.lastKnownFrom = `the state directory (stored ${restored.savedAt})`;
        this.o.logger.info({ entries: restored.entries.length, savedAt: restored.savedAt }, "registry: serving the stored entries until the registry lists");
      }
      this.description = undefined;
      if (ir.discovery) this.startSource(ir.discovery, baseDir, m!);
    }
    this.overlay?.setIr(ir);
  }

  /**
   * Entries a previous run stored (src/serve/state.ts): the first compile whose discovery has the same prefix serves
   * them as the last known entries until its source lists (validated like a list, within the same bounds).
   */
  restore(stored: { prefix: string; savedAt: string; entries: [string, string][] }): void {
    this.restored = stored;
  }

  /** The entries to store for the next start, once this source has listed; undefined otherwise. */
  toStore(): { prefix: string; version: number; entries: () => [string, RegistryEntry][] } | undefined {
    if (!this.overlay || this.overlayPrefix === undefined || !this.everListed || this.lastKnownFrom !== undefined) return undefined;
    const overlay = this.overlay;
    return { prefix: this.overlayPrefix, version: overlay.version(), entries: () => overlay.entriesInUse() };
  }

  /** The snapshot to serve for a base snapshot (the base itself without a registry). */
  apply(base: MeshSnapshot): MeshSnapshot {
    return this.overlay ? this.overlay.apply(base) : base;
  }

  status(): RegistryStatus | undefined {
    if (this.description === undefined || !this.overlay) return undefined;
    const c = this.overlay.counts();
    const serving =
      this.lastKnownFrom !== undefined
        ? `serving the ${c.entries} last known entries from ${this.lastKnownFrom} until this registry lists`
        : this.everListed
          ? `serving the ${c.entries} last known entries`
          : "no registry entries known yet: serving the static instances only";
    const message =
      this.state === "connected"
        ? "registry connected"
        : this.state === "unreachable"
          ? `registry unreachable since ${this.since}; ${serving}`
          : `registry connecting; ${serving}`;
    return {
      source: this.description,
      state: this.state,
      message: this.settingFrom === undefined ? message : `${message} (discovery setting from ${this.settingFrom})`,
      since: this.since,
      ...(this.problem ? { problem: this.problem } : {}),
      entries: c.entries,
      rejected: c.rejected,
      listed: this.everListed && this.lastKnownFrom === undefined,
      ...(this.lastKnownFrom !== undefined && { lastKnownFrom: this.lastKnownFrom }),
      ...(this.settingFrom !== undefined && { settingFrom: this.settingFrom }),
    };
  }

  /** Back to following nothing (a stored setting that could not be used): the next compile starts afresh. */
  async forget(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
    await this.stopSource();
    this.overlay = undefined;
    this.overlayPrefix = undefined;
    this.lastKnownFrom = undefined;
    this.settingFrom = undefined;
    this.description = undefined;
    this.discoveryKey = "";
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.stopSource();
  }

  private startSource(d: DiscoveryIR, baseDir: string, m: Awaited<ReturnType<typeof registryModules>>): void {
    const { EtcdEndpointSource, etcdClient, describeEtcd } = m.etcd;
    const { logger } = this.o;
    const overlay = this.overlay ?? this.newOverlay(d.prefix, m);
    this.overlay = overlay;
    this.overlayPrefix = d.prefix;
    this.everListed = false;
    this.description = describeEtcd(d);
    let source: EndpointSource;
    try {
      source = new EtcdEndpointSource(etcdClient(d, baseDir, this.o.timings), d, this.o.timings);
    } catch (err) {
      // The entries known so far (if any) keep serving; /readyz says why nothing is listed.
      logger.error({ err: (err as Error).message }, "cannot create the registry client (TLS files?)");
      this.setState("unreachable", `cannot create the registry client: ${(err as Error).message}`);
      return;
    }
    this.source = source;
    this.setState("connecting");
    logger.info({ registry: source.description }, "watching the registry");
    this.follow(source, overlay);
  }

  private newOverlay(prefix: string, { overlay: { EndpointOverlay } }: Awaited<ReturnType<typeof registryModules>>): EndpointOverlay {
    const { logger } = this.o;
    const overlay = new EndpointOverlay(prefix, {
      rejected: (r, log) => {
        this.rejectedTotal.inc({ reason: r.reason });
        if (!log) return; // beyond the overlay's per-minute bound: summarised by `suppressed`
        const info = CODES.RegistryEntryInvalid;
        const key = clipKey(r.key); // a key can be as long as etcd allows (1.5 MiB): logged clipped, once
        logger.warn({ code: info.code, key, reason: r.reason }, `${info.code}: ${fillTemplate(info.message, { key: JSON.stringify(key), problem: r.problem })}`);
      },
      suppressed: (reason, count) => {
        const info = CODES.RegistryEntryInvalid;
        logger.warn({ code: info.code, reason, suppressed: count }, `${info.code}: ${count} more registry entries ignored (${reason}) were not logged one by one; meshc_registry_entries_rejected_total counts them`);
      },
      issue: (message) => logger.error({ message }, "registry endpoints refused by the Envoy schema; serving the static ones for that cluster"),
    });
    this.overlay = overlay;
    this.overlayPrefix = prefix;
    return overlay;
  }

  private follow(source: EndpointSource, overlay: EndpointOverlay): void {
    const { logger } = this.o;
    source.start({
      reset: (entries) => {
        if (this.source !== source) return;
        this.events.inc({ kind: "reset" });
        this.lastKnownFrom = undefined; // from now on the entries are this source's
        this.everListed = true;
        this.changed(overlay.reset(entries));
        logger.info({ entries: entries.length }, "registry listed");
      },
      put: (e) => {
        if (this.source !== source) return;
        this.events.inc({ kind: "put" });
        this.changed(overlay.put(e.key, e.value, e.oversized, e.created));
      },
      delete: (key) => {
        if (this.source !== source) return;
        this.events.inc({ kind: "delete" });
        this.changed(overlay.delete(key));
      },
      connected: (up, problem) => {
        if (this.source !== source) return;
        this.setState(up ? "connected" : "unreachable", problem);
        if (up) logger.info({ registry: source.description }, "registry connected");
        else {
          const info = CODES.RegistryUnreachable;
          logger.warn({ code: info.code, registry: source.description, problem }, `${info.code}: ${fillTemplate(info.message, { endpoints: source.description, problem: problem ?? "unknown" })}`);
        }
      },
    });
  }

  private async stopSource(): Promise<void> {
    const s = this.source;
    this.source = undefined;
    await s?.close().catch(() => undefined);
  }

  private setState(state: RegistryStatus["state"], problem?: string): void {
    this.state = state;
    this.since = new Date().toISOString();
    this.problem = state === "unreachable" ? problem : undefined;
    this.connected.set(state === "connected" ? 1 : 0);
  }

  private changed(keys: Set<string>): void {
    for (const k of keys) this.pending.add(k);
    if (this.pending.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const keys = this.pending;
      this.pending = new Set();
      this.publishes.inc();
      this.o.logger.debug({ keys: keys.size, services: this.overlay?.services(keys) }, "registry changed");
      this.o.republish();
    }, this.o.coalesceMs ?? 100);
  }
}
