// Workload certificates for `meshc serve --ca <dir>` (issue 8). For every sidecar proxy of a mesh that uses mTLS it
// issues a leaf for the proxy's SPIFFE ID (one per identity, shared by services that share it) and adds two SDS
// Secrets to that proxy's snapshot only: "default" (its leaf, chain and key) and "ROOTCA" (the trust bundle). A proxy
// never receives another identity's key: secrets live in its own snapshot, and the xDS server serves a proxy nothing
// else. Leaves are re-issued at the mesh's rotation point (rotateAt % of the lifetime); a change of the CA directory
// (`meshc ca rotate`, generation in ca.json) is rolled out in steps (src/pki/rollout.ts): first every proxy trusts
// the new root, then leaves are re-issued from it, then the old root leaves the bundle; each step waits until every
// connected proxy ACKed the previous one's secrets (and a settle time for file-watcher clients), so no proxy ever
// presents a certificate its peer does not trust yet. Each change produces a new snapshot through onChange, which
// the xDS server pushes like any other (SDS only, as nothing else changed). Logs and metrics carry identities,
// serials and times, never keys.
// A CA that cannot issue (expired, not yet valid, broken after a change) never takes certificates away: the last
// good leaves keep serving, the problem is logged once per distinct message (not every tick), and failed re-issues
// wait RETRY_MS before the next attempt. The signing CA's expiry is the gauge meshc_ca_expiry_timestamp_seconds
// {role="signer"}, and a warning is logged as it comes within 30 days, 7 days, 1 day and 1 hour (./ca-expiry.ts).
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { CaExpiryWatch } from "./ca-expiry.js";
import { identitySecret, trustBundleSecret } from "../backends/envoy/secrets.js";
import type { CertificatePlan } from "../pki/plan.js";
import { loadCa, readCaMeta, type LoadedCa } from "../pki/ca-dir.js";
import { nextRolloutStep } from "../pki/rollout.js";
import { issueLeaf, type Issued } from "../pki/x509.js";
import { OnceLog, problemKey } from "./once-log.js";
import { makeProxySnapshot } from "../snapshot/build.js";
import type { EncodedResource, MeshSnapshot } from "../snapshot/types.js";
import type { XdsServer } from "../xds/index.js";

export { meshUsesMtls } from "../pki/plan.js";
import { mapVariants, wantedProxy } from "../snapshot/variants.js";

/** Whether every connected proxy ACKed the secrets the server's current snapshot holds for it. */
export function secretsAcked(xds: Pick<XdsServer, "proxies" | "snapshot">): boolean {
  const snap = xds.snapshot();
  return xds.proxies().every((p) => {
    const want = wantedProxy(snap?.proxies, p.service, p.variant)?.versions.secret ?? "";
    return want === "" || p.acked.secret === want;
  });
}

/** Leaves issued at once (see issueAll). */
const ISSUE_CONCURRENCY = 8;
/** A leaf is never due again sooner than this after it was issued (the DSL's shortest interval: 10 s at 10 %). */
const MIN_REISSUE_MS = 1000;
/** After a failed re-issue or CA load, the next attempt waits this long. */
const RETRY_MS = 10_000;

interface Leaf {
  issued: Issued;
  secret: EncodedResource;
  rotateAt: number;
  /** Serial of the CA certificate that signed it. */
  issuer: string;
}

export interface CertificateManagerOptions {
  caDir: string;
  logger: Logger;
  registry?: Registry;
  /** Called with a new snapshot whenever certificates change (rotation, CA change). */
  onChange(snapshot: MeshSnapshot): void;
  /** How often rotation points and the CA directory are checked. @default 1000 */
  tickMs?: number;
  now?: () => number;
  /**
   * Whether every connected proxy ACKed the secrets of the snapshot being served (a CA rollout step waits for it).
   * Without it, steps are only spaced by settleMs.
   */
  acked?(): boolean;
  /** Least time between two steps of a CA rollout (file-watcher clients poll their files). @default 5000 */
  settleMs?: number;
  /** A step not ACKed by every proxy within this time proceeds anyway, with a warning. @default 60000 */
  ackTimeoutMs?: number;
  /**
   * What still stands between a rolled-out CA change and its next step, outside the data plane (proxies running
   * from old-root bootstrap credentials, src/serve/xds-tls.ts); undefined when nothing does.
   */
  rolloutCaveat?(): string | undefined;
}

export class CertificateManager {
  /** The CA leaves are issued from (during a rollout, the old one until the reissue step). */
  private signer!: LoadedCa;
  /** The CA directory's newest contents while a rollout towards them is in progress. */
  private target: LoadedCa | undefined;
  /** The roots served as "ROOTCA" (during a rollout: old ∪ new until the prune step). */
  private served: string[] = [];
  private bundle!: EncodedResource;
  private stepAt = 0;
  private readonly leaves = new Map<string, Leaf>();
  private last: { snapshot: MeshSnapshot; plan: CertificatePlan | undefined } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** The end of the latest exclusive section (see exclusive()). */
  private publishing: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly issuedTotal?: Counter;
  private readonly leafCount?: Gauge;
  private readonly rolloutSteps?: Counter;
  private readonly caExpiry: CaExpiryWatch;
  private readonly issueProblem: OnceLog;
  private readonly loadProblem: OnceLog;
  private retryAt = 0;
  /** Leaves issued so far (whether a failed batch issued any). */
  private issuedSeq = 0;
  private loadRetryAt = 0;

  constructor(private readonly o: CertificateManagerOptions) {
    this.now = o.now ?? Date.now;
    if (o.registry) {
      this.issuedTotal = new Counter({ name: "meshc_certificates_issued_total", help: "Leaf certificates issued by the mesh CA", labelNames: ["reason"], registers: [o.registry] });
      this.leafCount = new Gauge({ name: "meshc_certificates_identities", help: "Identities holding a current leaf certificate", registers: [o.registry] });
      this.rolloutSteps = new Counter({ name: "meshc_ca_rollout_steps_total", help: "Steps of CA changes rolled out to the proxies (trust, reissue, prune)", labelNames: ["step"], registers: [o.registry] });
    }
    this.caExpiry = new CaExpiryWatch("signer", {
      caDir: o.caDir,
      logger: o.logger,
      registry: o.registry,
      now: this.now,
      message: (expired) => (expired ? "the mesh CA has expired: no certificate can be issued; rotate it (`meshc ca rotate`)" : "the mesh CA expires soon: rotate it (`meshc ca rotate`) before then, or certificates can no longer be issued"),
    });
    this.issueProblem = new OnceLog((m) => o.logger.error({ ca: o.caDir, err: m }, "certificates cannot be issued; the current ones keep serving (retried every 10 s)"));
    this.loadProblem = new OnceLog((m) => o.logger.error({ ca: o.caDir, err: m }, "the CA directory changed but cannot be used; keeping the loaded CA"));
  }

  async start(): Promise<void> {
    const ca = await loadCa(this.o.caDir, { now: new Date(this.now()) });
    this.signer = ca;
    this.serve(ca.bundle);
    this.logCa(ca);
    this.watchExpiry();
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private logCa(ca: LoadedCa): void {
    this.o.logger.info({ ca: this.o.caDir, generation: ca.meta.generation, phase: ca.meta.phase, roots: ca.bundle.length, notAfter: ca.authority.cert.notAfter.toISOString() }, "mesh CA loaded");
  }

  /** The signing CA's expiry: the gauge, and a warning each time it comes within one of EXPIRY_WARNINGS_MS. */
  private watchExpiry(): void {
    this.caExpiry.watch(this.signer.authority.cert);
  }

  private serve(bundle: readonly string[]): void {
    this.served = [...bundle];
    this.bundle = trustBundleSecret(this.served.join(""));
  }

  private async leafFor(identity: string, c: CertificatePlan, reason: string): Promise<Leaf> {
    const ca = this.signer;
    const issued = await issueLeaf(ca.authority, { spiffeId: identity, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs, now: new Date(this.now()) });
    const start = issued.cert.notBefore.getTime() + 30_000; // issueLeaf backdates 30 s
    const life = issued.cert.notAfter.getTime() - start;
    const leaf: Leaf = {
      issued,
      secret: identitySecret([issued.cert.pem, ...ca.chain].join(""), issued.key),
      rotateAt: Math.max(start + (life * c.rotateAtPercent) / 100, this.now() + MIN_REISSUE_MS),
      issuer: ca.authority.cert.serialNumber,
    };
    this.leaves.set(identity, leaf);
    this.issuedSeq++;
    this.issuedTotal?.inc({ reason });
    this.o.logger.info({ identity, serial: issued.cert.serial, notAfter: issued.cert.notAfter.toISOString(), reason }, "leaf certificate issued");
    return leaf;
  }

  /**
   * `snapshot` with each planned sidecar's "default" and "ROOTCA" secrets added (unchanged without a plan: the mesh
   * has no mTLS). The plan comes from the IR (mesh.ts) or a build directory's manifest (src/pki/plan.ts).
   */
  async attach(snapshot: MeshSnapshot, plan: CertificatePlan | undefined): Promise<MeshSnapshot> {
    this.last = { snapshot, plan };
    if (!plan) {
      this.leaves.clear();
      this.leafCount?.set(0);
      return snapshot;
    }
    const proxies = new Map(snapshot.proxies);
    const wanted = new Set<string>();
    for (const name of snapshot.proxies.keys()) {
      const identity = plan.identities[name]; // proxyless clients read files (`meshc certs`); non-mesh hold none
      if (identity !== undefined) wanted.add(identity);
    }
    await this.issueAll([...wanted].filter((id) => !this.leaves.has(id)), plan, "new");
    for (const [name, proxy] of snapshot.proxies) {
      const identity = plan.identities[name];
      if (identity === undefined) continue;
      const secret = [this.leaves.get(identity)!.secret, this.bundle];
      // Every variant of the service's snapshot (instance, locality) runs as the same identity.
      const withSecrets = (p: typeof proxy) => makeProxySnapshot(name, { ...p.resources, secret });
      proxies.set(name, mapVariants(proxy, withSecrets(proxy), withSecrets));
    }
    for (const id of [...this.leaves.keys()]) if (!wanted.has(id)) this.leaves.delete(id);
    this.leafCount?.set(this.leaves.size);
    return { proxies };
  }

  /**
   * Issues leaves for `identities`, ISSUE_CONCURRENCY at a time: key generation, signing and key export run on
   * libuv's thread pool and overlap with the certificate encoding on this thread (one leaf per identity, shared by
   * every proxy of it).
   */
  private async issueAll(identities: string[], plan: CertificatePlan, reason: string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < identities.length) await this.leafFor(identities[next++]!, plan, reason);
    };
    await Promise.all(Array.from({ length: Math.min(ISSUE_CONCURRENCY, identities.length) }, worker));
  }

  /** Follows CA changes one rollout step at a time; true when a step changed what proxies get. */
  private async rollout(): Promise<boolean> {
    let generation: number | undefined;
    try {
      generation = readCaMeta(this.o.caDir).generation;
    } catch (err) {
      this.loadProblem.report(`meta:${problemKey(err)}`, (err as Error).message);
    }
    if (generation !== undefined && generation !== (this.target ?? this.signer).meta.generation && this.now() >= this.loadRetryAt) {
      try {
        this.target = await loadCa(this.o.caDir, { now: new Date(this.now()) });
        this.loadProblem.clear();
        this.logCa(this.target);
      } catch (err) {
        this.loadProblem.report(`${generation}:${problemKey(err)}`, (err as Error).message);
        this.loadRetryAt = this.now() + RETRY_MS;
      }
    }
    const target = this.target;
    if (!target) return false;
    const since = this.now() - this.stepAt;
    if (since < (this.o.settleMs ?? 5000)) return false;
    if (this.o.acked && !this.o.acked()) {
      if (since < (this.o.ackTimeoutMs ?? 60_000)) return false;
      this.o.logger.warn({ waitedMs: since }, "CA rollout: not every proxy ACKed the previous step in time; continuing");
    }
    const step = nextRolloutStep({ bundle: this.served, leafIssuers: [...this.leaves.values()].map((l) => l.issuer) }, target);
    if (step.kind === "done") {
      this.signer = target;
      this.target = undefined;
      this.stepAt = 0; // the next change's first step goes out at once
      this.watchExpiry();
      const caveat = this.o.rolloutCaveat?.();
      if (caveat) this.o.logger.warn({ generation: target.meta.generation, roots: this.served.length, caveat }, "CA change rolled out to the proxies' data plane, but not yet safe for the next step");
      else this.o.logger.info({ generation: target.meta.generation, roots: this.served.length }, "CA change rolled out");
      return false;
    }
    this.stepAt = this.now();
    this.rolloutSteps?.inc({ step: step.kind });
    this.o.logger.info({ step: step.kind, generation: target.meta.generation }, "CA rollout step");
    if (step.kind === "reissue") {
      const previous = this.signer;
      this.signer = target;
      try {
        await this.issueAll([...this.leaves.keys()], this.last!.plan!, "ca-change");
      } catch (err) {
        this.signer = previous; // the step is tried again (leaves issued meanwhile keep serving: the new root is trusted)
        throw err;
      }
      this.watchExpiry();
    } else {
      this.serve(step.bundle);
    }
    return true;
  }

  /**
   * Runs `fn` while no tick runs, and no tick starts until it is done: a load holds it from attach() until it has
   * published, so a tick cannot publish the load's snapshot (whose leaves attach() keeps as `last`) before the
   * load's identities are bound. Otherwise a service whose identity changed would get its new identity's key
   * pushed to streams still bound under its old identity. Sections run one at a time, in call order.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const before = this.publishing;
    let done!: () => void;
    this.publishing = new Promise<void>((r) => (done = r));
    await before;
    try {
      return await fn();
    } finally {
      done();
    }
  }

  /** Re-issues due leaves and follows CA changes; pushes a new snapshot when anything changed. */
  async tick(): Promise<void> {
    if (this.ticking || !this.last) return;
    this.ticking = true;
    try {
      await this.exclusive(() => this.tickExclusive());
    } finally {
      this.ticking = false;
    }
  }

  private async tickExclusive(): Promise<void> {
    if (!this.last) return;
    let changed = false;
    try {
      this.watchExpiry();
      if (this.now() < this.retryAt) return;
      changed = await this.rollout();
      const now = this.now();
      const due = [...this.leaves].filter(([, leaf]) => now >= leaf.rotateAt).map(([identity]) => identity);
      if (due.length) {
        const before = this.issuedSeq;
        try {
          await this.issueAll(due, this.last.plan!, "rotation");
        } finally {
          if (this.issuedSeq !== before) changed = true; // leaves issued before a failure are served
        }
      }
      this.issueProblem.clear();
    } catch (err) {
      this.issueProblem.report(problemKey(err), (err as Error).message);
      this.retryAt = this.now() + RETRY_MS;
    }
    try {
      if (changed) this.o.onChange(await this.attach(this.last.snapshot, this.last.plan));
    } catch (err) {
      this.issueProblem.report(problemKey(err), (err as Error).message);
      this.retryAt = this.now() + RETRY_MS;
    }
  }
}
