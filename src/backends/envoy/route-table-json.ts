// Encoding a route table read from a build directory, one virtual host at a time. Route tables are per proxy but made
// of virtual hosts shared by every caller of an upstream (1,000 tables of 5 hosts hold ~1,000 distinct hosts), so
// each distinct host is checked and encoded once and the table's bytes are spliced together: a RouteConfiguration
// holding only `name` (field 1) and `virtual_hosts` (field 2) encodes as the name field followed by each host as a
// length-delimited field 2, exactly what encoding the whole message gives (test/serve/build-dir-reader.test.ts
// compares them). RouteConfiguration has no (validate.rules) of its own on these two fields, and each host gets the
// same strict codec and rules, with issue paths under `virtual_hosts[i]`. Any other shape takes the whole-message
// path.
import protobuf from "protobufjs";
import type { Canonical } from "./api/canonical.js";
import { encodeJson, type EncodeResult } from "./api/codec.js";
import type { Json } from "./api/json.js";

export interface HostCache {
  get(key: string): EncodeResult | undefined;
  set(key: string, r: EncodeResult): void;
}

/** `json` without "@type". `hosts` caches each host's result by its JSON text (kept by the caller). */
export function encodeRouteTableJson(json: Record<string, Json>, label: string, hosts: HostCache, hostKeys?: string[]): EncodeResult {
  const keys = Object.keys(json);
  const list = json.virtual_hosts;
  if (!keys.every((k) => k === "name" || k === "virtual_hosts") || (json.name !== undefined && typeof json.name !== "string") || (list !== undefined && !Array.isArray(list))) {
    return encodeJson("envoy.config.route.v3.RouteConfiguration", json, label);
  }
  const w = protobuf.Writer.create();
  const name = (json.name as string | undefined) ?? "";
  if (name !== "") w.uint32(10).string(name);
  const canonicalHosts: Canonical[] = [];
  const issues: Extract<EncodeResult, { ok: false }>["issues"] = [];
  ((list as Json[] | undefined) ?? []).forEach((host, i) => {
    const key = JSON.stringify(host);
    hostKeys?.push(key);
    let r = hosts.get(key);
    if (!r) {
      r = host && typeof host === "object" && !Array.isArray(host)
        ? encodeJson("envoy.config.route.v3.VirtualHost", host, label)
        : { ok: false, issues: [{ resource: label, path: "", message: "expected an object" }] };
      hosts.set(key, r);
    }
    if (!r.ok) {
      for (const issue of r.issues) issues.push({ ...issue, resource: label, path: `virtual_hosts[${i}]${issue.path ? `.${issue.path}` : ""}` });
      return;
    }
    w.uint32(18).bytes(r.message.bytes);
    canonicalHosts.push(r.message.canonical);
  });
  if (issues.length) return { ok: false, issues };
  const canonical: Canonical = {};
  if (name !== "") canonical.name = name;
  if (canonicalHosts.length) canonical.virtual_hosts = canonicalHosts;
  return { ok: true, message: { typeName: "envoy.config.route.v3.RouteConfiguration", typeUrl: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration", bytes: w.finish(), canonical } };
}
