// Workload certificates for `meshc serve --ca <dir>` (issue 8). For every sidecar proxy of a mesh that uses mTLS it
// issues a leaf for the proxy's SPIFFE ID (one per identity, shared by services that share it) and adds two SDS
// Secrets to that proxy's snapshot only: "default" (its leaf, chain and key) and "ROOTCA" (the trust bundle). A proxy
// never receives another identity's key: secrets live in its own snapshot, and the xDS server serves a proxy nothing
// else. Leaves are re-issued at the mesh's rotation point (rotateAt % of the lifetime); a change of the CA directory
// (`meshc ca rotate`, generation in ca.json) reloads the CA, re-issues every leaf and replaces the bundle. Each
// change produces a new snapshot through onChange, which the xDS server pushes like any other (SDS only, as nothing
// else changed). Logs and metrics carry identities, serials and times, never keys.
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { identitySecret, trustBundleSecret } from "../backends/envoy/secrets.js";
import type { MeshIR } from "../ir/types.js";
import { loadCa, readCaMeta, type LoadedCa } from "../pki/ca-dir.js";
import { issueLeaf, type Issued } from "../pki/x509.js";
import { makeProxySnapshot } from "../snapshot/build.js";
import type { EncodedResource, MeshSnapshot } from "../snapshot/types.js";

/** Whether any proxy of the mesh terminates or originates mTLS (then every sidecar needs a certificate). */
export function meshUsesMtls(ir: MeshIR): boolean {
  return ir.services.some((s) => !s.nonMesh && (s.ports.some((p) => p.mtls !== "off") || (s.proxyless && s.mtls !== "off")));
}

interface Leaf {
  issued: Issued;
  secret: EncodedResource;
  rotateAt: number;
  generation: number;
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
}

export class CertificateManager {
  private ca!: LoadedCa;
  private bundle!: EncodedResource;
  private readonly leaves = new Map<string, Leaf>();
  private last: { snapshot: MeshSnapshot; ir: MeshIR } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly now: () => number;
  private readonly issuedTotal?: Counter;
  private readonly leafCount?: Gauge;

  constructor(private readonly o: CertificateManagerOptions) {
    this.now = o.now ?? Date.now;
    if (o.registry) {
      this.issuedTotal = new Counter({ name: "meshc_certificates_issued_total", help: "Leaf certificates issued by the mesh CA", labelNames: ["reason"], registers: [o.registry] });
      this.leafCount = new Gauge({ name: "meshc_certificates_identities", help: "Identities holding a current leaf certificate", registers: [o.registry] });
    }
  }

  async start(): Promise<void> {
    await this.loadCa();
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async loadCa(): Promise<void> {
    this.ca = await loadCa(this.o.caDir);
    this.bundle = trustBundleSecret(this.ca.bundle.join(""));
    this.o.logger.info({ ca: this.o.caDir, generation: this.ca.meta.generation, phase: this.ca.meta.phase, roots: this.ca.bundle.length }, "mesh CA loaded");
  }

  private async leafFor(identity: string, ir: MeshIR, reason: string): Promise<Leaf> {
    const c = ir.mtls.certificates;
    const issued = await issueLeaf(this.ca.authority, { spiffeId: identity, keyAlgorithm: c.keyAlgorithm, lifetimeMs: c.leafLifetimeMs, now: new Date(this.now()) });
    const start = issued.cert.notBefore.getTime() + 30_000; // issueLeaf backdates 30 s
    const life = issued.cert.notAfter.getTime() - start;
    const leaf: Leaf = {
      issued,
      secret: identitySecret([issued.cert.pem, ...this.ca.chain].join(""), issued.key),
      rotateAt: start + (life * c.rotateAtPercent) / 100,
      generation: this.ca.meta.generation,
    };
    this.leaves.set(identity, leaf);
    this.issuedTotal?.inc({ reason });
    this.o.logger.info({ identity, serial: issued.cert.serial, notAfter: issued.cert.notAfter.toISOString(), reason }, "leaf certificate issued");
    return leaf;
  }

  /** `snapshot` with each sidecar's "default" and "ROOTCA" secrets added (unchanged when the mesh has no mTLS). */
  async attach(snapshot: MeshSnapshot, ir: MeshIR): Promise<MeshSnapshot> {
    this.last = { snapshot, ir };
    if (!meshUsesMtls(ir)) return snapshot;
    const byName = new Map(ir.services.map((s) => [s.name, s]));
    const proxies = new Map(snapshot.proxies);
    const wanted = new Set<string>();
    for (const [name, proxy] of snapshot.proxies) {
      const svc = byName.get(name);
      if (!svc || svc.proxyless || svc.nonMesh) continue; // proxyless clients read files (`meshc certs`)
      wanted.add(svc.identity);
      let leaf = this.leaves.get(svc.identity);
      if (!leaf) leaf = await this.leafFor(svc.identity, ir, "new");
      proxies.set(name, makeProxySnapshot(name, { ...proxy.resources, secret: [leaf.secret, this.bundle] }));
    }
    for (const id of [...this.leaves.keys()]) if (!wanted.has(id)) this.leaves.delete(id);
    this.leafCount?.set(this.leaves.size);
    return { proxies };
  }

  /** Re-issues due leaves and follows CA changes; pushes a new snapshot when anything changed. */
  async tick(): Promise<void> {
    if (this.ticking || !this.last) return;
    this.ticking = true;
    try {
      let changed = false;
      let generation = this.ca.meta.generation;
      try {
        generation = readCaMeta(this.o.caDir).generation;
      } catch (err) {
        this.o.logger.error({ err: (err as Error).message }, "cannot read the CA directory; keeping the loaded CA");
      }
      if (generation !== this.ca.meta.generation) {
        try {
          await this.loadCa();
          changed = true;
        } catch (err) {
          this.o.logger.error({ err: (err as Error).message }, "CA directory changed but cannot be loaded; keeping the loaded CA");
        }
      }
      const now = this.now();
      for (const [identity, leaf] of [...this.leaves]) {
        if (leaf.generation !== this.ca.meta.generation) {
          await this.leafFor(identity, this.last.ir, "ca-change");
          changed = true;
        } else if (now >= leaf.rotateAt) {
          await this.leafFor(identity, this.last.ir, "rotation");
          changed = true;
        }
      }
      if (changed) this.o.onChange(await this.attach(this.last.snapshot, this.last.ir));
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, "certificate rotation failed; will retry");
    } finally {
      this.ticking = false;
    }
  }
}
