// Who can reach `meshc serve` (issue 9, R10): plaintext ADS and the admin's /debug/* views are for loopback only
// unless the operator says otherwise. Plaintext ADS on a non-loopback address needs --insecure
// --insecure-allow-remote (and is announced with a warning at start); admin /debug/* on a non-loopback address
// needs a bearer token from --admin-token-file, compared in constant time and never logged. Without a configured
// token every /debug/* request there is refused with 401.
import { timingSafeEqual, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

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

/** Refuses plaintext ADS on a non-loopback address unless both flags are given; returns warnings to log. */
export function checkXdsExposure(xdsAddress: string, o: { insecure?: boolean; insecureAllowRemote?: boolean }): string[] {
  const host = hostOf(xdsAddress);
  if (isLoopback(host)) return [];
  if (!o.insecure || !o.insecureAllowRemote) {
    throw new ExposureError(
      `refusing to serve plaintext ADS on non-loopback address ${xdsAddress}: any process that reaches it could read every proxy's configuration; bind 127.0.0.1, or pass --insecure --insecure-allow-remote to accept that`,
    );
  }
  return [`serving PLAINTEXT ADS on non-loopback address ${xdsAddress} (--insecure --insecure-allow-remote): unauthenticated clients can read every proxy's configuration`];
}

/** Reads the admin token (trimmed; must be at least 16 characters). */
export function readAdminToken(file: string): string {
  const token = readFileSync(file, "utf8").trim();
  if (token.length < 16) throw new ExposureError(`admin token file ${file} must hold a token of at least 16 characters`);
  return token;
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/**
 * A guard for admin requests: undefined to let the request through, or the status to answer (401). /debug/* on a
 * non-loopback bind address needs `Authorization: Bearer <token>`; everything else passes.
 */
export function adminGuard(adminAddress: string, token: string | undefined): (req: IncomingMessage, pathname: string) => number | undefined {
  const open = isLoopback(hostOf(adminAddress));
  const want = token === undefined ? undefined : digest(token);
  return (req, pathname) => {
    if (open || !pathname.startsWith("/debug")) return undefined;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    if (!want || !m) return 401;
    return timingSafeEqual(digest(m[1]!.trim()), want) ? undefined : 401;
  };
}
