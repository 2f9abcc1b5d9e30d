// When the CA certificates `meshc serve --ca` depends on expire: the gauge meshc_ca_expiry_timestamp_seconds, one
// series per role, and a warning as each comes within 30 days, 7 days, 1 day and 1 hour of its end (once per
// certificate and threshold). Roles:
//   signer    the CA that signs leaves and bootstrap credentials (src/serve/certificates.ts)
//   old_root  during a root rotation's overlap, the old root that signs the xDS server's own certificate
//             (src/serve/xds-tls.ts); no series outside an overlap, or once it can no longer issue
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";

const NAME = "meshc_ca_expiry_timestamp_seconds";
/** Remaining lifetimes at which a warning is logged (once each per certificate). */
const EXPIRY_WARNINGS_MS = [30 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000];

export type CaRole = "signer" | "old_root";

/** The gauge, shared by everything that reports to `registry` (created by the first). */
function gauge(registry: Registry): Gauge<"role"> {
  const existing = registry.getSingleMetric(NAME);
  if (existing) return existing as Gauge<"role">;
  return new Gauge({
    name: NAME,
    help: "When a mesh CA certificate serve depends on expires (Unix seconds); role=signer signs leaves, role=old_root is a root rotation's old root, which signs the xDS server certificate until `meshc ca rotate --finish`",
    labelNames: ["role"],
    registers: [registry],
  });
}

export class CaExpiryWatch {
  private readonly gauge?: Gauge<"role">;
  /** `${serial}:${threshold}` of the last warning. */
  private warned = "";

  constructor(
    private readonly role: CaRole,
    private readonly o: { caDir: string; logger: Logger; registry?: Registry; now: () => number; message: (expired: boolean) => string },
  ) {
    if (o.registry) this.gauge = gauge(o.registry);
  }

  /** Sets the gauge to `cert`'s end (removes the series without one) and warns when a threshold was crossed. */
  watch(cert: { notAfter: Date; serialNumber: string } | undefined): void {
    if (!cert) {
      this.gauge?.remove({ role: this.role });
      return;
    }
    const notAfter = cert.notAfter.getTime();
    this.gauge?.set({ role: this.role }, notAfter / 1000);
    const left = notAfter - this.o.now();
    const within = EXPIRY_WARNINGS_MS.filter((t) => left <= t).pop();
    if (within === undefined) return;
    const key = `${cert.serialNumber}:${within}`;
    if (key === this.warned) return;
    this.warned = key;
    this.o.logger.warn({ ca: this.o.caDir, role: this.role, notAfter: cert.notAfter.toISOString(), hoursLeft: Math.max(0, Math.floor(left / 3_600_000)) }, this.o.message(left <= 0));
  }
}
