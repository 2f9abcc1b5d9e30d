// How `meshc status` and `meshc proxy-config` talk to a running `meshc serve`: GET on its admin API (--admin URL,
// default the local http://127.0.0.1:18001), with the bearer token from --admin-token-file when the admin is
// exposed. Bounded: a 10 s timeout and at most 64 MiB per answer. Also reads a live Envoy's admin (/config_dump).
// Failures are AdminError with a message for the user (the command exits 2).
import { readFileSync } from "node:fs";
import { printable } from "./printable.js";

export const DEFAULT_ADMIN_URL = "http://127.0.0.1:18001";
const MAX_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

export class AdminError extends Error {}

export interface AdminTarget {
  url: string;
  token?: string;
}

/** Help texts of the --admin and --admin-token-file options every admin client command has. */
export const ADMIN_OPTION = "admin URL of the running `meshc serve` (its --admin address)";
export const TOKEN_OPTION = "bearer token for an admin bound to a non-loopback address (serve's --admin-token-file)";

export function adminTarget(o: { admin?: string; adminTokenFile?: string }): AdminTarget {
  let url = o.admin ?? DEFAULT_ADMIN_URL;
  if (!/^https?:\/\//.test(url)) url = `http://${url}`; // "127.0.0.1:18001", as serve's --admin takes it
  try {
    new URL(url);
  } catch {
    throw new AdminError(`--admin ${o.admin}: not a URL (e.g. http://127.0.0.1:18001)`);
  }
  if (o.adminTokenFile === undefined) return { url };
  let token: string;
  try {
    token = readFileSync(o.adminTokenFile, "utf8").trim();
  } catch (e) {
    throw new AdminError(`--admin-token-file ${o.adminTokenFile}: ${(e as Error).message}`);
  }
  return { url, token };
}

/** GET <base><path> as text; AdminError on anything but 200. */
export async function getText(base: string, path: string, token?: string): Promise<string> {
  const url = new URL(path, base.endsWith("/") ? base : `${base}/`);
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new AdminError(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const len = Number(res.headers.get("content-length") ?? 0);
  if (len > MAX_BYTES) throw new AdminError(`${url.href}: answer of ${len} bytes is over the ${MAX_BYTES}-byte limit`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const r = await reader?.read();
    if (!r || r.done) break;
    total += r.value.length;
    if (total > MAX_BYTES) {
      await reader!.cancel();
      throw new AdminError(`${url.href}: answer over the ${MAX_BYTES}-byte limit`);
    }
    chunks.push(r.value);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (res.status === 401) throw new AdminError(`${url.href}: 401 unauthorized (pass --admin-token-file with serve's token)`);
  if (res.status !== 200) {
    let detail = text.trim();
    try {
      detail = String((JSON.parse(text) as { error?: unknown }).error ?? detail);
    } catch {
      // plain text
    }
    // The body comes from whatever answers at that address (an Envoy's admin, a hostile URL): printable, one line.
    throw new AdminError(printable(`${url.href}: HTTP ${res.status}: ${detail.slice(0, 300)}`));
  }
  return text;
}

export async function getJson<T>(t: AdminTarget, path: string): Promise<T> {
  const text = await getText(t.url, path, t.token);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new AdminError(`${t.url}${path}: not JSON`);
  }
}

/** Pads columns: a plain-text table (no colour codes inside cells). */
/** Columns padded to their widest cell; every cell made printable (src/cli/printable.ts). */
export function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
