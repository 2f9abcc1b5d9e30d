// Who can reach `meshc serve` (issue 9, R10): plaintext ADS and the admin's /debug/* views are for loopback only
// unless the operator says otherwise. Plaintext ADS on a non-loopback address needs --insecure
// --insecure-allow-remote (and is announced with a warning at start); admin /debug/* on a non-loopback address
// needs a bearer token from --admin-token-file, compared in constant time and never logged. Without a configured
// token every /debug/* request there is refused with 401.
import { timingSafeEqual, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { hostname as osHostname } from "node:os";

/** Host part of "host:port" ("[::1]:18000" -> "::1"). */
export function hostOf(address: string): string {
  const i = address.lastIndexOf(":");
  return address.slice(0, i).replace(/^\[(.*)\]$/, "$1");
}

/** 127.0.0.0/8, ::1 and "localhost"; 0.0.0.0 and :: (every interface) are not loopback. */
export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || /^::ffff:127\./i.test(host);
  return false;
}

export class ExposureError extends Error {}

/**
 * Refuses plaintext ADS on a non-loopback address unless both flags are given; returns warnings to log. With a CA
 * (`withCa`), plaintext ADS also hands out private keys (SDS) to whoever asks for a service: always warned.
 */
export function checkXdsExposure(xdsAddress: string, o: { insecure?: boolean; insecureAllowRemote?: boolean; withCa?: boolean }): string[] {
  const host = hostOf(xdsAddress);
  const keys = o.withCa
    ? [`serving PLAINTEXT ADS with --ca on ${xdsAddress}: any process that can connect to it can ask for any service's configuration and its private key (SDS); keep it to a loopback address of a host whose local users you trust, for proxyless clients that cannot authenticate`]
    : [];
  if (isLoopback(host)) return keys;
  if (!o.insecure || !o.insecureAllowRemote) {
    throw new ExposureError(
      `refusing to serve plaintext ADS on non-loopback address ${xdsAddress}: any process that reaches it could read every proxy's configuration; bind 127.0.0.1, or pass --insecure --insecure-allow-remote to accept that`,
    );
  }
  return [`serving PLAINTEXT ADS on non-loopback address ${xdsAddress} (--insecure --insecure-allow-remote): unauthenticated clients can read every proxy's configuration`, ...keys];
}

/** Reads the admin token (trimmed; must be at least 16 characters). */
export function readAdminToken(file: string): string {
  const token = readFileSync(file, "utf8").trim();
  if (token.length < 16) throw new ExposureError(`admin token file ${file} must hold a token of at least 16 characters`);
  return token;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** What the guard answers instead of the request: the status and a line saying why. */
export interface Refusal {
  status: 401 | 403;
  message: string;
}

/**
 * Whether a Host header names this machine's loopback: `localhost` and `*.localhost` (browsers resolve those to
 * loopback themselves), a 127.0.0.0/8 or ::1 literal, or this machine's own hostname, with or without a port. A
 * name resolved through someone's DNS (rebinding a page's domain to 127.0.0.1) is none of these.
 */
export function isLoopbackHost(header: string | undefined, hostname = osHostname()): boolean {
  if (header === undefined) return true; // HTTP/1.0 without Host: not a browser
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d{1,5})?$/.exec(header.trim().toLowerCase());
  if (!m) return false;
  const host = m[1]!.replace(/^\[(.*)\]$/, "$1").replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host === hostname.toLowerCase()) return true;
  return isIP(host) !== 0 && isLoopback(host);
}

/**
 * A guard for admin requests: undefined to let the request through, or the refusal to answer. On a non-loopback
 * bind address, /debug/* (and the dashboard, which shows it) needs `Authorization: Bearer <token>`; /metrics stays
 * open for Prometheus, as /healthz and /readyz do. On a loopback bind, /debug/*, the dashboard and /metrics need a
 * Host naming loopback, so a web page whose domain is rebound to 127.0.0.1 cannot read them from a browser on this
 * machine (DNS rebinding).
 */
export function adminGuard(adminAddress: string, token: string | undefined): (req: IncomingMessage, pathname: string) => Refusal | undefined {
  const open = isLoopback(hostOf(adminAddress));
  const want = token === undefined ? undefined : digest(token);
  const unauthorized: Refusal = { status: 401, message: "unauthorized: /debug/* on a non-loopback admin address needs Authorization: Bearer <token> (--admin-token-file)" };
  return (req, pathname) => {
    if (open) {
      if (!pathname.startsWith("/debug") && pathname !== "/metrics") return undefined;
      if (isLoopbackHost(req.headers.host)) return undefined;
      return { status: 403, message: "forbidden: the admin API on a loopback address answers requests for a loopback host only (127.0.0.1, [::1], localhost)" };
    }
    if (!pathname.startsWith("/debug")) return undefined;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!want || !m) return unauthorized;
    return timingSafeEqual(digest(m[1]!.trim()), want) ? undefined : unauthorized;
  };
}
