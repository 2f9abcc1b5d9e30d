// The secure control plane of `meshc serve --ca <dir>` (issue 9): ADS over TLS with client certificates. This module
// holds the server side's TLS material: a certificate for spiffe://<trust domain>/meshc/xds-server issued by the
// mesh CA (re-issued at half its lifetime and whenever the CA directory changes, e.g. `meshc ca rotate`), and the
// trust bundle client certificates must chain to. The trust domain comes from the compiled mesh, so until the first
// compile there is no server certificate and connections are closed (proxies retry). It also derives, from each
// compiled mesh, which identity every service runs as: what the xDS server binds verified identities to.
import type { SecureContextOptions } from "node:tls";
import type { Logger } from "pino";
import { issueXdsServerCertificate, XDS_SERVER_CERT_LIFETIME_MS, xdsServerIdentity } from "../pki/bootstrap-credential.js";
import { loadCa, readCaMeta, type LoadedCa } from "../pki/ca-dir.js";

// Which identity each service runs as: in ./identities.ts (no X.509 library, so serving without --ca does not load it).
export { planIdentities, serviceIdentities } from "./identities.js";

export class XdsServerTls {
  private ca: LoadedCa | undefined;
  private trustDomain: string | undefined;
  private context: SecureContextOptions | undefined;
  private renewAt = 0;
  private generation = -1;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(private readonly o: { caDir: string; logger: Logger; tickMs?: number }) {}

  /** Loads the CA (so a bad --ca fails at start) and starts watching it and the certificate's age. */
  async start(): Promise<void> {
    this.ca = await loadCa(this.o.caDir);
    this.generation = this.ca.meta.generation;
    this.timer = setInterval(() => void this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The current TLS server context, or undefined before the first compile. */
  secureContext(): SecureContextOptions | undefined {
    return this.context;
  }

  /** After a compile: the server certificate follows the mesh's trust domain. */
  async apply(trustDomain: string): Promise<void> {
    if (trustDomain !== this.trustDomain || !this.context) {
      this.trustDomain = trustDomain;
      await this.issue("trust-domain");
    }
  }

  private async issue(reason: string): Promise<void> {
    if (!this.ca || this.trustDomain === undefined) return;
    const { issued, chainPem } = await issueXdsServerCertificate(this.ca, this.trustDomain);
    this.context = { cert: chainPem, key: issued.key.reveal(), ca: this.ca.bundle.join(""), minVersion: "TLSv1.2" };
    const start = issued.cert.notBefore.getTime() + 30_000;
    this.renewAt = start + (issued.cert.notAfter.getTime() - start) / 2;
    this.o.logger.info(
      { identity: xdsServerIdentity(this.trustDomain), serial: issued.cert.serial, notAfter: issued.cert.notAfter.toISOString(), reason, lifetimeHours: XDS_SERVER_CERT_LIFETIME_MS / 3_600_000 },
      "xDS server certificate issued",
    );
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      let generation = this.generation;
      try {
        generation = readCaMeta(this.o.caDir).generation;
      } catch {
        // unreadable for a moment: keep the loaded CA
      }
      if (generation !== this.generation) {
        this.ca = await loadCa(this.o.caDir);
        this.generation = this.ca.meta.generation;
        await this.issue("ca-change");
      } else if (this.context && Date.now() >= this.renewAt) {
        await this.issue("rotation");
      }
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, "xDS server certificate: CA reload or re-issue failed; keeping the current one");
    } finally {
      this.busy = false;
    }
  }
}
