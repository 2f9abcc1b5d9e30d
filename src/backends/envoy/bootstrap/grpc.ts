// `meshc bootstrap --grpc`: the xDS bootstrap JSON a proxyless gRPC client reads (GRPC_XDS_BOOTSTRAP file or
// GRPC_XDS_BOOTSTRAP_CONFIG text). @grpc/grpc-js-xds reports every invalid bootstrap only as "Cannot read properties
// of null (reading 'clientDefaultListenerResourceNameTemplate')", so meshc checks the fields it requires itself.
import type { LocalityIR, MeshIR } from "../../../ir/types.js";
import type { Json } from "../api/json.js";
import { checkXds, formatXdsAddress, resolveIdentity, type XdsAddress } from "./identity.js";
import type { BootstrapIssue } from "./issues.js";
import { join, resolve as resolvePath } from "node:path";
import { GRPC_CERT_PROVIDER } from "../tls.js";

export interface GrpcBootstrapOptions {
  service: string;
  instance?: string;
  /** node.locality, over what the mesh says of the instance (--locality). */
  locality?: LocalityIR;
  xds: XdsAddress;
  /**
   * Directory `meshc certs --service S --out <dir>` writes (cert.pem, key.pem, ca.pem): the file-watcher
   * certificate provider of gRFC A29. Needed when the client uses mTLS (its mtls is not "off" in a mesh with mTLS).
   */
  certsDir?: string;
}

/** File names `meshc certs` writes and the gRPC bootstrap's file-watcher provider reads. */
export const CERT_FILES = { cert: "cert.pem", key: "key.pem", ca: "ca.pem" } as const;

export interface GrpcBootstrap {
  xds_servers: { server_uri: string; channel_creds: { type: string; config?: Json }[]; server_features?: string[] }[];
  node: { id: string; cluster?: string; locality: { region?: string; zone?: string; sub_zone?: string }; metadata?: Json };
  certificate_providers?: Record<string, { plugin_name: string; config: Json }>;
}

export type GrpcBootstrapResult =
  | { ok: true; text: string; json: GrpcBootstrap; nodeId: string; warnings: string[] }
  | { ok: false; issues: BootstrapIssue[] };

export function renderGrpcBootstrap(ir: MeshIR, opts: GrpcBootstrapOptions): GrpcBootstrapResult {
  const node = resolveIdentity(ir, opts.service, opts.instance, opts.locality);
  if (Array.isArray(node)) return { ok: false, issues: node };
  const xdsIssues = checkXds(opts.xds);
  if (xdsIssues.length) return { ok: false, issues: xdsIssues };

  const locality: GrpcBootstrap["node"]["locality"] = {};
  if (node.locality?.region) locality.region = node.locality.region;
  if (node.locality?.zone) locality.zone = node.locality.zone;
  if (node.locality?.subZone) locality.sub_zone = node.locality.subZone;
  const json: GrpcBootstrap = {
    // xds_v3 selects the v3 transport; insecure because mTLS to the server belongs to the security work.
    xds_servers: [{ server_uri: formatXdsAddress(opts.xds), channel_creds: [{ type: "insecure" }], server_features: ["xds_v3"] }],
    // locality must be present even when empty, or the client rejects the bootstrap.
    node: { id: node.id, cluster: node.service.name, locality },
  };
  // gRFC A29: clusters of an mTLS client name the provider instance "meshc" (src/backends/envoy/tls.ts).
  const usesMtls = node.service.proxyless && node.service.mtls !== "off" && ir.services.some((s) => !s.nonMesh && s.ports.some((p) => p.mtls !== "off"));
  if (usesMtls) {
    if (opts.certsDir === undefined) {
      return { ok: false, issues: [{ kind: "option", source: "--certs", path: "", message: `proxyless client "${node.service.name}" uses mTLS (gRFC A29): pass --certs <dir>, the directory \`meshc certs --service ${node.service.name} --out <dir>\` keeps current` }] };
    }
    const dir = resolvePath(opts.certsDir);
    json.certificate_providers = {
      [GRPC_CERT_PROVIDER]: {
        plugin_name: "file_watcher",
        config: { certificate_file: join(dir, CERT_FILES.cert), private_key_file: join(dir, CERT_FILES.key), ca_certificate_file: join(dir, CERT_FILES.ca), refresh_interval: "1s" },
      },
    };
  }
  const issues = checkGrpcBootstrap(json);
  if (issues.length) return { ok: false, issues };
  const warnings = node.service.proxyless
    ? []
    : [`service "${node.service.name}" is not marked proxyless: its snapshot holds sidecar listeners, which a gRPC client cannot use; mark it proxyless in mesh.ts`];
  return { ok: true, text: `${JSON.stringify(json, null, 2)}\n`, json, nodeId: node.id, warnings };
}

const CREDS_TYPES = ["google_default", "insecure"];

/**
 * The rules @grpc/grpc-js-xds 1.14 applies when it loads a bootstrap (build/src/xds-bootstrap.js), as issues with
 * paths, for meshc's output and for hand-written files alike.
 */
export function checkGrpcBootstrap(value: unknown, source = "gRPC bootstrap"): BootstrapIssue[] {
  const out: BootstrapIssue[] = [];
  const bad = (path: string, message: string) => out.push({ kind: "schema", source, path, message });
  if (!isObject(value)) {
    bad("", "must be a JSON object");
    return out;
  }
  const servers = value.xds_servers;
  if (!Array.isArray(servers) || servers.length === 0) bad("xds_servers", "must be a non-empty array");
  else {
    servers.forEach((s, i) => {
      const p = `xds_servers[${i}]`;
      if (!isObject(s)) return bad(p, "must be an object");
      if (typeof s.server_uri !== "string" || s.server_uri === "") bad(`${p}.server_uri`, "must be a non-empty string (host:port)");
      const creds = s.channel_creds;
      if (!Array.isArray(creds)) bad(`${p}.channel_creds`, "must be an array");
      else {
        creds.forEach((c, j) => {
          if (!isObject(c) || typeof c.type !== "string") bad(`${p}.channel_creds[${j}].type`, "must be a string");
          else if (c.config !== undefined && !isObject(c.config)) bad(`${p}.channel_creds[${j}].config`, "must be an object");
        });
        if (!creds.some((c) => isObject(c) && CREDS_TYPES.includes(c.type as string))) {
          bad(`${p}.channel_creds`, `needs at least one entry of type ${CREDS_TYPES.map((t) => `"${t}"`).join(" or ")}`);
        }
      }
      if (s.server_features !== undefined && (!Array.isArray(s.server_features) || s.server_features.some((f) => typeof f !== "string"))) {
        bad(`${p}.server_features`, "must be an array of strings");
      }
    });
  }
  const node = value.node;
  if (!isObject(node)) bad("node", "must be an object");
  else {
    if (typeof node.id !== "string" || node.id === "") bad("node.id", "must be a non-empty string");
    if (node.cluster !== undefined && typeof node.cluster !== "string") bad("node.cluster", "must be a string");
    if (!isObject(node.locality)) bad("node.locality", "must be present (an object, {} allowed)");
    else {
      for (const k of ["region", "zone", "sub_zone"]) {
        if (node.locality[k] !== undefined && typeof node.locality[k] !== "string") bad(`node.locality.${k}`, "must be a string");
      }
    }
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
