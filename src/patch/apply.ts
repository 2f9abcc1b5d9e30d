// Applies mesh.patch() (issue 13) to a compiled snapshot: the stage after the Envoy backend and before anything is
// written or served. The patch functions stay in the evaluation worker that ran mesh.ts (PatchSession); this
// side selects the targeted resources, sends each distinct one (the canonical form of its bytes: plain JSON in the
// shape of Envoy's generated typings) with the patches that apply to it, in call order, and re-checks every result
// through the same door as generated resources: the strict codec, Envoy's `(validate.rules)`, the resource's name
// and the snapshot consistency check. Any failure is a diagnostic at the mesh.patch() call, and the caller drops
// the snapshot (fail closed: no partial output). A proxy keeps sharing every resource no patch touched; patched
// resources are encoded once per distinct result and shared too.
import { relative, resolve, sep } from "node:path";
import { CODES, fillTemplate, type CodeName, type CodeParams } from "../analysis/codes.js";
import { q, listing } from "../analysis/format.js";
import { literalText } from "../analysis/analyzers/header-credentials.js";
import { AUTH_HEADERS } from "../frontend/schema-patterns.js";
import protobuf from "protobufjs";
import { encodeMessage } from "../backends/envoy/api/codec.js";
import { envoyRoot } from "../backends/envoy/api/registry.js";
import { formatIssue } from "../backends/envoy/api/issues.js";
import { checkConsistency } from "../backends/envoy/consistency.js";
import { canonicalOf, RESOURCE_TYPES, rememberCanonical, resourceLabel } from "../backends/envoy/encode.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { SourceSite } from "../dsl/site.js";
import type { PatchJob, PatchSession } from "../frontend/patch-session.js";
import type { MeshIR, PatchIR } from "../ir/types.js";
import { contentHash, makeProxySnapshot } from "../snapshot/build.js";
import { duplicateListenerAddresses, resourceProblem } from "./runtime-rules.js";
import { TYPE_URLS, type EncodedResource, type MeshSnapshot, type ProxySnapshot } from "../snapshot/types.js";

type Kind = PatchIR["kind"];

/** What one mesh.patch() did, for `meshc build`'s report (and MESH0242 under --strict). */
export interface PatchReport {
  index: number;
  kind: Kind;
  /** The mesh.patch() call, relative to the mesh entry's directory. */
  source?: { file: string; line: number; column: number };
  /** Proxy -> the names of the resources the patch changed there (sorted); proxies where it changed nothing are absent. */
  changed: Record<string, string[]>;
}

export interface ApplyResult {
  /** Present when every patch applied and every result passed the checks. */
  snapshot?: MeshSnapshot;
  diagnostics: Diagnostic[];
  reports: PatchReport[];
}

export interface ApplyOptions {
  baseDir: string;
  /** Maps a patch error's stack to the user's frame (the line that threw). */
  userFrame?: (stack: string) => SourceSite | undefined;
}

/** At most this many diagnostics per patch: a patch that fails on every cluster of 1,000 proxies says so a few times. */
const MAX_PER_PATCH = 10;

interface Target {
  proxy: string;
  kind: Kind;
  resource: EncodedResource;
  /** Indexes into ir.patches, in call order. */
  patches: number[];
}

export async function applyPatches(ir: MeshIR, snapshot: MeshSnapshot, session: PatchSession, options: ApplyOptions): Promise<ApplyResult> {
  const patches = ir.patches ?? [];
  const diagnostics: Diagnostic[] = [];
  const perPatch = new Map<number, number>();
  const report = <N extends CodeName>(name: N, patch: PatchIR, params: CodeParams<N>) => {
    const n = perPatch.get(patch.index) ?? 0;
    if (n >= MAX_PER_PATCH) return;
    perPatch.set(patch.index, n + 1);
    const info = CODES[name];
    const values = params as Record<string, string | number>;
    diagnostics.push({
      code: info.code,
      severity: info.severity,
      message: fillTemplate(info.message, values),
      ...(patch.source && { file: resolve(options.baseDir, patch.source.file), line: patch.source.line, column: patch.source.column }),
      path: ["patches", patch.index],
      hint: fillTemplate(info.hint, values),
    });
  };

  // 1. Select: every (proxy, resource) a patch names, and the patches for it in call order.
  const targets: Target[] = [];
  for (const proxy of [...snapshot.proxies.keys()].sort()) {
    const snap = snapshot.proxies.get(proxy)!;
    for (const kind of ["listener", "cluster", "route"] as const) {
      const mine = patches.filter((p) => p.kind === kind && p.proxies.includes(proxy));
      if (mine.length === 0) continue;
      const resources = snap.resources[kind];
      const names = new Set(resources.map((r) => r.name));
      for (const p of mine) {
        const missing = p.names ? p.names.filter((n) => !names.has(n)) : resources.length === 0 ? [""] : [];
        for (const n of missing) {
          const shown = [...names].slice(0, 8).map(q);
          report("PatchMatchesNothing", p, {
            kind,
            name: n === "" ? "at all" : q(n),
            service: q(proxy),
            known: shown.length ? ` (it has ${listing(shown)}${names.size > shown.length ? ", …" : ""})` : "",
          });
        }
      }
      for (const r of resources) {
        const list = mine.filter((p) => !p.names || p.names.includes(r.name)).map((p) => p.index);
        if (list.length) targets.push({ proxy, kind, resource: r, patches: list });
      }
    }
  }
  if (diagnostics.length) {
    await session.close();
    return { diagnostics, reports: [] };
  }

  // 2. One job per distinct (patches, resource): shared resources are patched once.
  const jobs: PatchJob[] = [];
  const jobOf = new Map<string, number>();
  const jobIndex: number[] = [];
  const firstTarget: Target[] = [];
  const jobKey = (t: Target) => `${t.kind}\0${t.patches.join(",")}\0${t.resource.name}\0${t.resource.hash}`;
  for (const t of targets) {
    const key = jobKey(t);
    let j = jobOf.get(key);
    if (j === undefined) {
      j = jobs.push({ patches: t.patches, input: JSON.stringify(canonicalOf(t.kind, t.resource)) }) - 1;
      jobOf.set(key, j);
      firstTarget.push(t);
    }
    jobIndex.push(j);
  }

  // 3. Run them in the evaluation worker.
  const outcome = await session.apply(jobs);
  if (outcome.kind === "aborted") {
    const involved = [...new Set(targets.flatMap((t) => t.patches))];
    for (const i of involved) report("PatchAborted", patches[i]!, { message: outcome.message });
    return { diagnostics, reports: [] };
  }

  // 4. Re-check each result as if meshc had generated it; encode each distinct result once.
  const patched: (EncodedResource | undefined)[] = jobs.map((job, j) => {
    const first = firstTarget[j]!;
    const r = outcome.results[j]!;
    const label = { kind: first.kind, resource: q(first.resource.name), service: q(first.proxy) };
    if (!r.ok) {
      const p = patches[r.patch]!;
      const where = r.error.stack && options.userFrame?.(r.error.stack);
      const file = where ? relative(options.baseDir, where.file).split(sep).join("/") : "";
      const text = `${r.error.name && r.error.name !== "Error" ? `${r.error.name}: ` : ""}${r.error.message}${where ? ` (at ${file}:${where.line}:${where.column})` : ""}`;
      if (r.reason === "nondeterministic") report("PatchNondeterministic", p, { error: r.error.message });
      else if (r.reason === "threw") report("PatchThrew", p, { ...label, error: text });
      else report("PatchRefused", p, { ...label, issue: r.error.message });
      return undefined;
    }
    const last = patches[job.patches[job.patches.length - 1]!]!;
    if (r.output === job.input) return first.resource; // unchanged
    if (r.output.length > MAX_RESULT_CHARS) {
      report("PatchRefused", last, { ...label, issue: `the result is ${Math.round(r.output.length / 2 ** 20)} MiB of JSON, more than the ${MAX_RESULT_CHARS / 2 ** 20} MiB a patched resource may be` });
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(r.output);
    } catch {
      report("PatchRefused", last, { ...label, issue: "the result is not JSON" });
      return undefined;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      report("PatchRefused", last, { ...label, issue: "the result is not a resource object" });
      return undefined;
    }
    const name = (value as { name?: unknown }).name;
    if (name !== first.resource.name) {
      report("PatchRenamed", last, { ...label, name: typeof name === "string" ? q(name) : String(name === undefined ? "nothing (the name was removed)" : JSON.stringify(name)) });
      return undefined;
    }
    const encoded = encodeMessage(RESOURCE_TYPES[first.kind], value, resourceLabel(first.kind, first.resource.name));
    if (!encoded.ok) {
      for (const issue of encoded.issues) report("PatchRefused", last, { ...label, issue: formatIssue(issue) });
      return undefined;
    }
    const rule = resourceProblem(first.kind, encoded.message.canonical);
    if (rule) {
      report("PatchRefused", last, { ...label, issue: rule });
      return undefined;
    }
    const secret = inlineSecret(envoyRoot().lookupType(RESOURCE_TYPES[first.kind]), encoded.message.canonical, "");
    if (secret) {
      report("PatchRefused", last, { ...label, issue: `${secret}: key material may not be inlined in a resource (a private key, password, token or service-account key would reach build output and logs); point to a file (filename, a token path) or an SDS secret` });
      return undefined;
    }
    if (contentHash(encoded.message.bytes) === first.resource.hash) return first.resource;
    const res: EncodedResource = { name: first.resource.name, typeUrl: TYPE_URLS[first.kind], bytes: encoded.message.bytes, hash: contentHash(encoded.message.bytes) };
    rememberCanonical(res, encoded.message.canonical);
    return res;
  });
  if (diagnostics.length) return { diagnostics, reports: [] };

  // 5. New snapshots for the proxies with a changed resource; the consistency check runs on each of them.
  const replaced = new Map<string, Map<EncodedResource, EncodedResource>>();
  const reports: PatchReport[] = patches.map((p) => ({ index: p.index, kind: p.kind, ...(p.source && { source: p.source }), changed: {} }));
  const changedBy = new Map<string, number[]>(); // "proxy\0kind\0name" -> patches
  targets.forEach((t, k) => {
    const out = patched[jobIndex[k]!]!;
    if (out === t.resource) return;
    let m = replaced.get(t.proxy);
    if (!m) replaced.set(t.proxy, (m = new Map()));
    m.set(t.resource, out);
    changedBy.set(`${t.proxy}\0${resourceLabel(t.kind, t.resource.name)}`, t.patches);
    for (const i of t.patches) (reports[i]!.changed[t.proxy] ??= []).push(t.resource.name);
  });
  const proxies = new Map(snapshot.proxies);
  for (const [proxy, m] of replaced) {
    const old = snapshot.proxies.get(proxy)!;
    const byKind = Object.fromEntries(Object.entries(old.resources).map(([k, list]) => [k, list.map((r) => m.get(r) ?? r)])) as ProxySnapshot["resources"];
    const next = makeProxySnapshot(proxy, byKind);
    for (const issue of checkConsistency(next)) {
      const blamed = changedBy.get(`${proxy}\0${issue.resource}`) ?? [...new Set([...changedBy.entries()].filter(([k]) => k.startsWith(`${proxy}\0`)).flatMap(([, v]) => v))];
      for (const i of blamed) report("PatchRefused", patches[i]!, { kind: patches[i]!.kind, resource: issue.resource, service: q(proxy), issue: formatIssue(issue) });
    }
    // Two listeners on one address (a patch moved one onto another's): Envoy refuses the second.
    if (old.resources.listener.some((r) => m.has(r))) {
      const listeners = byKind.listener.map((r) => ({ name: r.name, canonical: canonicalOf("listener", r) }));
      for (const d of duplicateListenerAddresses(listeners)) {
        const blamed = [...new Set([d.name, d.first].flatMap((n) => changedBy.get(`${proxy}\0${resourceLabel("listener", n)}`) ?? []))];
        for (const i of blamed) {
          report("PatchRefused", patches[i]!, { kind: "listener", resource: q(d.name), service: q(proxy), issue: `address: Envoy refuses a second listener on ${d.address}: listener ${q(d.first)} binds it already` });
        }
      }
    }
    proxies.set(proxy, next);
  }
  if (diagnostics.length) return { diagnostics, reports: [] };

  // 6. Patches that changed nothing anywhere.
  for (const r of reports) {
    if (Object.keys(r.changed).length > 0) continue;
    const p = patches[r.index]!;
    report("PatchNoEffect", p, { kind: p.kind, resources: p.names ? listing(p.names.map(q)) : `resources of ${listing(p.proxies.map(q))}` });
  }
  for (const r of reports) for (const list of Object.values(r.changed)) list.sort();
  return { snapshot: { proxies }, diagnostics, reports };
}

/** A patched resource's JSON may be at most this long (the worker's heap bounds it too; this bounds the parent). */
const MAX_RESULT_CHARS = 64 * 2 ** 20;

/** Fields whose DataSource holds key material (TLS private keys, their passwords, session ticket keys), by name. */
const SECRET_FIELDS = new Set(["private_key", "password", "keys", "pkcs12"]);

/** Envoy's own mark on fields that hold secrets (TlsCertificate.private_key, GenericSecret.secret, ...). */
const SENSITIVE = "(udpa.annotations.sensitive)";
/**
 * gRPC call credentials that carry the credential itself (a token, a service account's JSON key, a plugin's
 * config); Envoy does not mark them sensitive. google_compute_engine (no data) and sts_service (file paths) stay.
 */
const CALL_CREDENTIALS = ".envoy.config.core.v3.GrpcService.GoogleGrpc.CallCredentials";
const CALL_CREDENTIAL_SECRETS = new Set(["access_token", "google_refresh_token", "service_account_jwt_access", "google_iam", "from_plugin"]);
const DATA_SOURCE = ".envoy.config.core.v3.DataSource";
/**
 * A header whose value is a credential (gRPC initial_metadata, a route's or health check's headers to add): the
 * token would be written to the build output as text. Envoy's credential_injector filter or a generic SDS secret
 * keeps it out; a value that only copies the request's own (%REQ(authorization)%) holds no literal text.
 */
const HEADER_VALUE = ".envoy.config.core.v3.HeaderValue";

function credentialHeader(o: Record<string, unknown>): boolean {
  if (typeof o.key !== "string" || !AUTH_HEADERS.has(o.key.toLowerCase())) return false;
  const literal = (v: unknown) => typeof v === "string" && literalText(v);
  // raw_value is bytes: base64 in the canonical JSON.
  return literal(o.value) || (typeof o.raw_value === "string" && literal(Buffer.from(o.raw_value, "base64").toString("latin1")));
}

function isSecretField(type: protobuf.Type, field: protobuf.Field): boolean {
  return field.options?.[SENSITIVE] === true || (type.fullName === CALL_CREDENTIALS && CALL_CREDENTIAL_SECRETS.has(field.name));
}

/** The message type of an Any's payload, when the root knows it. */
function anyType(c: Record<string, unknown>): protobuf.Type | undefined {
  const url = c["@type"];
  if (typeof url !== "string") return undefined;
  try {
    return envoyRoot().lookupType(url.slice(url.lastIndexOf("/") + 1));
  } catch {
    return undefined;
  }
}

/**
 * Whether a value of a secret field holds the secret itself: a non-empty string or bytes, a DataSource given
 * inline (a filename or an environment variable only names where Envoy reads it), or a message with any of these.
 */
function holdsSecret(type: protobuf.Type | undefined, scalar: string, v: unknown): boolean {
  if (Array.isArray(v)) return v.some((x) => holdsSecret(type, scalar, x));
  if (typeof v === "string") return v.length > 0 && (type === undefined || scalar === "string" || scalar === "bytes");
  if (v === null || typeof v !== "object") return false;
  const o = v as Record<string, unknown>;
  const t = type?.fullName === ".google.protobuf.Any" ? anyType(o) : type;
  if (t?.fullName === DATA_SOURCE) return "inline_bytes" in o || "inline_string" in o;
  for (const [k, x] of Object.entries(o)) {
    if (k === "@type") continue;
    const f = t?.fields[k];
    // Unknown shape (an Any the root cannot resolve): any text in it may be the secret.
    if (f ? holdsSecret(f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined, f.type, x) : holdsSecret(undefined, "", x)) return true;
  }
  return false;
}

/**
 * The path of a secret given inline anywhere in `c` (a canonical message of `type`), or undefined: a field Envoy
 * marks sensitive or a gRPC call credential holding its secret, and any field named like a key-material
 * DataSource holding one inline. Any payloads are followed through their "@type".
 */
function inlineSecret(type: protobuf.Type | undefined, c: unknown, path: string): string | undefined {
  if (Array.isArray(c)) {
    for (let i = 0; i < c.length; i++) {
      const hit = inlineSecret(type, c[i], `${path}[${i}]`);
      if (hit) return hit;
    }
    return undefined;
  }
  if (c === null || typeof c !== "object") return undefined;
  const o = c as Record<string, unknown>;
  const t = type?.fullName === ".google.protobuf.Any" || (type === undefined && typeof o["@type"] === "string") ? anyType(o) : type;
  if (t?.fullName === HEADER_VALUE && credentialHeader(o)) return `${path}.value`;
  for (const [k, v] of Object.entries(o)) {
    if (k === "@type") continue;
    const p = path ? `${path}.${k}` : k;
    const f = t?.fields[k];
    const sub = f?.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    if (f && t && isSecretField(t, f) && holdsSecret(sub, f.type, v)) return p;
    if (SECRET_FIELDS.has(k)) {
      const sources = Array.isArray(v) ? v : [v];
      for (const src of sources) if (src && typeof src === "object" && ("inline_bytes" in src || "inline_string" in src)) return p;
    }
    // A map's values are of the field's type; a field the type lacks (none, after the codec) walks untyped.
    if (f instanceof protobuf.MapField && v !== null && typeof v === "object") {
      for (const [mk, mv] of Object.entries(v)) {
        const hit = inlineSecret(sub, mv, `${p}[${JSON.stringify(mk)}]`);
        if (hit) return hit;
      }
      continue;
    }
    const hit = inlineSecret(sub, v, p);
    if (hit) return hit;
  }
  return undefined;
}

/** MESH0242 per patch that changed something (what --strict lists). */
export function strictPatchDiagnostics(reports: readonly PatchReport[], baseDir: string): Diagnostic[] {
  const info = CODES.PatchApplied;
  return reports
    .filter((r) => Object.keys(r.changed).length > 0)
    .map((r) => {
      const names = [...new Set(Object.values(r.changed).flat())].sort();
      const values = { kind: r.kind, resources: listing(names.map(q)), proxies: listing(Object.keys(r.changed).sort().map(q)) };
      return {
        code: info.code,
        severity: info.severity,
        message: fillTemplate(info.message, values),
        ...(r.source && { file: resolve(baseDir, r.source.file), line: r.source.line, column: r.source.column }),
        path: ["patches", r.index],
        hint: info.hint,
      };
    });
}
