// The secure control plane of `meshc serve --ca <dir>` (issue 9): ADS over TLS with client certificates. This module
// holds the server side's TLS material: a certificate for spiffe://<trust domain>/meshc/xds-server issued by the
// mesh CA, and the trust bundle client certificates must chain to. The trust domain comes from the compiled mesh, so
// until the first compile there is no server certificate and connections are closed (proxies retry). It also
// derives, from each compiled mesh, which identity every service runs as: what the xDS server binds verified
// identities to.
//
// A root rotation and the proxies' bootstrap files. A sidecar verifies this server with the trust file `meshc
// bootstrap --ca` wrote (Envoy reads it at start only), and authenticates with the client certificate written beside
// it. So the two halves move differently from the data plane's rollout (src/pki/rollout.ts):
//   - client trust is always the CA directory's bundle: old and new roots from `meshc ca rotate` until `--finish`,
//     so proxies bootstrapped before and after the rotation both authenticate;
//   - the server certificate comes from the old root for the whole overlap window (ca.previous, kept in the CA
//     directory until --finish: a restarted serve does the same), because proxies bootstrapped before the rotation
//     trust only it; from `--finish` on it comes from the new root, which proxies bootstrapped during the overlap
//     trust. A CA change that keeps the signer only swaps the trust bundle: no re-issue.
// Proxies that still authenticate with an old-root credential when `--finish` would cut them off are named in the
// log: during the overlap whenever that set changes, and loudly when `--finish` arrives.
// An old root that can no longer issue (expired, not yet valid, within 10 minutes of its end: loadCa leaves it out,
// and a loaded one is dropped when time gets there) does not stop anything: the server certificate then comes from
// the new root at once, and one warning names the connected proxies still on an old-root bootstrap credential
// (they cannot verify it). While the old root signs the server certificate, its expiry is the gauge
// meshc_ca_expiry_timestamp_seconds{role="old_root"}, with warnings at 30 d, 7 d, 1 d and 1 h (./ca-expiry.ts).
// The certificate is re-issued at half its lifetime; a CA that cannot issue (expired, broken on disk) keeps the
// current certificate, logs once per distinct problem, and is retried no more than every RETRY_MS.
import { X509Certificate } from "node:crypto";
import type { SecureContextOptions } from "node:tls";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { issueXdsServerCertificate, XDS_SERVER_CERT_LIFETIME_MS, xdsServerIdentity, xdsServerSigner } from "../pki/bootstrap-credential.js";
import { loadCa, readCaMeta, withoutUnusableOldRoot, type LoadedCa } from "../pki/ca-dir.js";
import type { ProxyStatus } from "../xds/stream.js";
import { CaExpiryWatch } from "./ca-expiry.js";
import { OnceLog, problemKey } from "./once-log.js";

// Which identity each service runs as: in ./identities.ts (no X.509 library, so serving without --ca does not load it).
export { planIdentities, serviceIdentities } from "./identities.js";

/** After a failed re-issue or CA load, the next attempt waits this long. */
const RETRY_MS = 30_000;
/** The server certificate is never re-issued sooner than this after the previous one. */
const MIN_REISSUE_MS = 60_000;

function subjectOf(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).subject;
  } catch {
    return undefined;
  }
}

export class XdsServerTls {
  private ca: LoadedCa | undefined;
  private trustDomain: string | undefined;
  private context: SecureContextOptions | undefined;
  /** Serial of the CA certificate that signed the current server certificate. */
  private signedBy: string | undefined;
  private renewAt = 0;
  private retryAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly now: () => number;
  private readonly loadProblem: OnceLog;
  private readonly issueProblem: OnceLog;
  private oldRootKey = "";
  private renewReason = "rotation";
  /** The old root that was left out, last warned about (its notAfter). */
  private oldRootWarned = "";
  private readonly oldRootExpiry: CaExpiryWatch;
  /** The connected proxies (set once the xDS server runs): who still authenticates with an old root's credential. */
  clients: (() => ProxyStatus[]) | undefined;

  constructor(private readonly o: { caDir: string; logger: Logger; registry?: Registry; tickMs?: number; now?: () => number }) {
    this.now = o.now ?? Date.now;
    this.oldRootExpiry = new CaExpiryWatch("old_root", {
      caDir: o.caDir,
      logger: o.logger,
      registry: o.registry,
      now: this.now,
      message: () =>
        "the old root of the CA rotation in progress, which signs the xDS server's certificate, expires soon: before then run `meshc bootstrap --ca` again for every proxy, restart it, and finish the rotation (`meshc ca rotate --finish`); from 10 minutes before its end the xDS server presents a new-root certificate, which proxies bootstrapped before the rotation cannot verify",
    });
    this.loadProblem = new OnceLog((m) => o.logger.error({ ca: o.caDir, err: m }, "xDS server TLS: the CA directory changed but cannot be used; keeping the current certificate and client trust"));
    this.issueProblem = new OnceLog((m) => o.logger.error({ ca: o.caDir, err: m }, "xDS server certificate cannot be issued; keeping the current one"));
  }

  /** Loads the CA (so a bad --ca fails at start) and starts watching it and the certificate's age. */
  async start(): Promise<void> {
    this.ca = await loadCa(this.o.caDir, { now: new Date(this.now()) });
    if (this.ca.meta.phase === "overlap" && !this.ca.previous && !this.ca.previousProblem) {
      this.o.logger.warn({ ca: this.o.caDir }, "the CA is in a rotation's overlap window but holds no old root (rotated by an older meshc, or the old root could no longer issue at `meshc ca rotate`): the xDS server presents a new-root certificate, which proxies bootstrapped before the rotation cannot verify");
    }
    this.watchOldRoot();
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

  /**
   * Connected proxies whose ADS client certificate was issued by a root other than the CA's current signer: during
   * a rotation's overlap, the ones `--finish` would cut off unless they are bootstrapped again first.
   */
  oldRootClients(): string[] {
    const ca = this.ca;
    if (!ca || ca.meta.kind !== "root" || !this.clients) return [];
    const signer = subjectOf(ca.authority.cert.toString("pem"));
    return this.clients()
      .filter((p) => p.clientCertificate && p.clientCertificate.issuer !== signer)
      .map((p) => `${p.service}/${p.node.id}`)
      .sort();
  }

  private async issue(reason: string, ca = this.ca): Promise<void> {
    if (!ca || this.trustDomain === undefined) return;
    const { issued, chainPem } = await issueXdsServerCertificate(ca, this.trustDomain, new Date(this.now()));
    this.context = { cert: chainPem, key: issued.key.reveal(), ca: ca.bundle.join(""), minVersion: "TLSv1.2" };
    this.signedBy = xdsServerSigner(ca).authority.cert.serialNumber;
    const start = issued.cert.notBefore.getTime() + 30_000;
    this.renewAt = Math.max(start + (issued.cert.notAfter.getTime() - start) / 2, this.now() + MIN_REISSUE_MS);
    this.issueProblem.clear();
    this.renewReason = "rotation";
    this.o.logger.info(
      { identity: xdsServerIdentity(this.trustDomain), serial: issued.cert.serial, notAfter: issued.cert.notAfter.toISOString(), reason, signer: ca.previous ? "old root (rotation overlap)" : "CA", lifetimeHours: XDS_SERVER_CERT_LIFETIME_MS / 3_600_000 },
      "xDS server certificate issued",
    );
  }

  /** A new CA directory generation: swap the client trust, re-issue only when the server certificate's signer changes. */
  private async changeCa(next: LoadedCa): Promise<void> {
    const prev = this.ca;
    const body = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, "");
    const staying = new Set(next.bundle.map(body));
    const gone = prev ? prev.bundle.filter((p) => !staying.has(body(p))).map(subjectOf) : [];
    const cutOff = gone.length && this.clients ? this.clients().filter((p) => p.clientCertificate && gone.includes(p.clientCertificate.issuer)).map((p) => `${p.service}/${p.node.id}`) : [];
    const signer = xdsServerSigner(next).authority.cert.serialNumber;
    if (!this.context || signer !== this.signedBy) {
      await this.issue("ca-change", next); // throws (keeping the current CA and context) when the new signer cannot issue
      this.ca = next;
    } else {
      this.ca = next;
      this.context = { ...this.context, ca: next.bundle.join("") };
      this.o.logger.info({ generation: next.meta.generation, roots: next.bundle.length }, "xDS server TLS: client trust follows the CA's trust bundle (server certificate unchanged)");
    }
    if (cutOff.length) {
      this.o.logger.error(
        { proxies: cutOff.slice(0, 50), count: cutOff.length, generation: next.meta.generation },
        "a root left the trust bundle while these proxies still authenticate to the xDS server with a certificate from it: they lose the control plane at their next reconnect. Run `meshc bootstrap --ca` for each again and restart it",
      );
    }
  }

  /**
   * The overlap's old root: its expiry while it signs the server certificate; once it can no longer (left out by
   * loadCa, or dropped here as time passes), one warning naming the proxies that cannot verify the new-root one.
   */
  private watchOldRoot(): void {
    const ca = this.ca;
    if (!ca) return;
    if (ca.previous) {
      const next = withoutUnusableOldRoot(ca, new Date(this.now()));
      if (next !== ca) {
        this.ca = next;
        this.renewAt = 0; // re-issued from the new root at once (tick)
        this.renewReason = "old-root-unusable";
      }
    }
    this.oldRootExpiry.watch(this.ca!.previous?.cert);
    const problem = this.ca!.previousProblem;
    if (!problem) return;
    const key = problem.notAfter.toISOString();
    if (key === this.oldRootWarned) return;
    this.oldRootWarned = key;
    const old = this.oldRootClients();
    this.o.logger.warn(
      { ca: this.o.caDir, err: problem.text, proxies: old.slice(0, 50), count: old.length },
      "CA rotation: the old root can no longer sign the xDS server's certificate, so it comes from the new root from now on. Proxies bootstrapped before the rotation (their *.xds-ca.pem holds only the old root) cannot verify it and lose the control plane at their next reconnect; the connected ones are named here. Run `meshc bootstrap --ca` for each again and restart it, then finish the rotation (`meshc ca rotate --finish`)",
    );
  }

  /** Logs, once per change, which proxies still run from an old root's bootstrap credential during an overlap. */
  private watchOldRootClients(): void {
    if (!this.ca || this.ca.meta.phase !== "overlap") {
      this.oldRootKey = "";
      return;
    }
    const old = this.oldRootClients();
    const key = old.join(",");
    if (key === this.oldRootKey) return;
    this.oldRootKey = key;
    if (old.length) {
      this.o.logger.warn(
        { proxies: old.slice(0, 50), count: old.length },
        this.ca.previous
          ? "CA rotation: these proxies authenticate to the xDS server with a bootstrap credential from the old root; `meshc ca rotate --finish` would cut them off. Run `meshc bootstrap --ca` for each again and restart it first"
          : "CA rotation: these proxies authenticate to the xDS server with a bootstrap credential from the old root, and the xDS server's certificate comes from the new root (the old root can no longer issue): they cannot verify it and lose the control plane at their next reconnect. Run `meshc bootstrap --ca` for each again and restart it",
      );
    } else {
      this.o.logger.info("CA rotation: every connected proxy authenticates to the xDS server with a new-root bootstrap credential");
    }
  }

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      this.watchOldRoot();
      const now = this.now();
      let generation: number | undefined;
      try {
        generation = readCaMeta(this.o.caDir).generation;
      } catch (err) {
        this.loadProblem.report(`meta:${problemKey(err)}`, (err as Error).message);
      }
      if (generation !== undefined && generation !== this.ca?.meta.generation && now >= this.retryAt) {
        let next: LoadedCa | undefined;
        try {
          next = await loadCa(this.o.caDir, { now: new Date(now) });
        } catch (err) {
          this.loadProblem.report(`${generation}:${problemKey(err)}`, (err as Error).message);
          this.retryAt = now + RETRY_MS;
        }
        if (next) {
          this.loadProblem.clear();
          try {
            await this.changeCa(next);
          } catch (err) {
            this.issueProblem.report(problemKey(err), (err as Error).message);
            this.retryAt = now + RETRY_MS;
          }
        }
      } else if (this.context && now >= this.renewAt && now >= this.retryAt) {
        try {
          await this.issue(this.renewReason);
        } catch (err) {
          this.issueProblem.report(problemKey(err), (err as Error).message);
          this.retryAt = now + RETRY_MS;
        }
      }
      this.watchOldRoot();
      this.watchOldRootClients();
    } catch (err) {
      this.o.logger.error({ err: (err as Error).message }, "xDS server certificate: CA reload or re-issue failed; keeping the current one");
    } finally {
      this.busy = false;
    }
  }
}
