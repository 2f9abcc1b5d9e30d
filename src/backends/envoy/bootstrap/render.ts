// `meshc bootstrap`: an Envoy bootstrap that points a sidecar at `meshc serve` over ADS. Rendered from a Handlebars
// template (the shipped one or --template), then re-parsed and checked as envoy.config.bootstrap.v3.Bootstrap with
// the same strict codec and (validate.rules) as every xDS resource, so a broken template is a located error here
// rather than a crash-looping Envoy. What is printed is the checked message, not the raw template output.
import { isIP } from "node:net";
import YAML from "yaml";
import type { LocalityIR, MeshIR } from "../../../ir/types.js";
import { encodeJson, messageToJson } from "../api/codec.js";
import type { Json } from "../api/json.js";
import { checkXds, formatXdsAddress, isPort, optionIssue, resolveIdentity, type NodeIdentity, type XdsAddress } from "./identity.js";
import type { BootstrapIssue } from "./issues.js";
import { STATS_TAGS } from "../telemetry-names.js";
import { locate, parseRendered, readTemplate, renderTemplate, type ParsedYaml } from "./template.js";

export const BOOTSTRAP_TYPE = "envoy.config.bootstrap.v3.Bootstrap";

export type BootstrapFormat = "yaml" | "json";

export interface BootstrapOptions {
  service: string;
  /** node.id; default `<service>-<short host name>` (see defaultInstanceId). */
  instance?: string;
  /** node.locality, over what the mesh says of the instance (--locality). */
  locality?: LocalityIR;
  xds: XdsAddress;
  /** Every xDS server (replicas of `meshc serve`, issue 16), `xds` first; Envoy's xds_cluster lists them all. */
  xdsServers?: XdsAddress[];
  /** Incremental xDS (DELTA_GRPC) instead of state of the world (GRPC). */
  delta?: boolean;
  /** Path of a user Handlebars template replacing the shipped one; it gets the same data and the same checks. */
  template?: string;
  format: BootstrapFormat;
  /** Overrides the service's sidecar.adminPort (e.g. two instances of one service on one host). */
  adminPort?: number;
  /** Authenticated ADS: the credential files and the server's SPIFFE ID (meshc bootstrap --ca). */
  xdsTls?: XdsTlsFiles;
}

export interface XdsTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  serverIdentity: string;
}

export type BootstrapResult =
  | { ok: true; text: string; json: Json; nodeId: string; warnings: string[] }
  | { ok: false; issues: BootstrapIssue[] };

/**
 * The data a bootstrap template sees. Every value is checked (names, ports, host) before rendering; documented
 * at the top of envoy-bootstrap.yaml.hbs for template authors.
 */
export interface BootstrapTemplateData {
  service: string;
  nodeId: string;
  locality: { region?: string; zone?: string; subZone?: string } | null;
  xds: { host: string; port: number; clusterType: "STATIC" | "STRICT_DNS"; dns: boolean; servers: { host: string; port: number }[] };
  apiType: "GRPC" | "DELTA_GRPC";
  delta: boolean;
  adminPort: number;
  /** meshc's stats tags (telemetry-names.ts STATS_TAGS). */
  statsTags: { name: string; regex: string }[];
  /** telemetry.metrics.histogramBuckets (ms), or null for Envoy's defaults. */
  histogramBuckets: number[] | null;
  /** Authenticated ADS credential files, or null for plaintext ADS. */
  xdsTls: XdsTlsFiles | null;
}

export function renderBootstrap(ir: MeshIR, opts: BootstrapOptions): BootstrapResult {
  const node = resolveIdentity(ir, opts.service, opts.instance, opts.locality);
  if (Array.isArray(node)) return { ok: false, issues: node };
  const issues = [opts.xds, ...(opts.xdsServers ?? [])].flatMap(checkXds);
  const adminPort = opts.adminPort ?? node.sidecar?.adminPort ?? node.service.sidecar.adminPort;
  if (!isPort(adminPort)) issues.push(optionIssue("admin-port", `admin port ${adminPort} is not in 1..65535`));
  const tpl = readTemplate(opts.template);
  if (Array.isArray(tpl)) issues.push(...tpl);
  if (issues.length || Array.isArray(tpl)) return { ok: false, issues };

  const rendered = renderTemplate(tpl, templateData(node, opts, adminPort));
  if (Array.isArray(rendered)) return { ok: false, issues: rendered };
  const parsed = parseRendered(tpl.name, rendered.text);
  if (Array.isArray(parsed)) return { ok: false, issues: parsed };
  const checked = checkBootstrap(parsed.value, tpl.name, parsed);
  if (!checked.ok) return checked;
  if (opts.xdsTls && !xdsClusterHasTls(checked.json)) {
    return { ok: false, issues: [optionIssue("ca", `the template ${tpl.name} gives xds_cluster no transport_socket: with --ca the proxy must authenticate to the xDS server (use the data field xdsTls; see the shipped template)`)] };
  }

  const warnings: string[] = [];
  if (node.service.proxyless) {
    warnings.push(`service "${node.service.name}" is a proxyless gRPC client: its snapshot holds API listeners, not sidecar listeners; use --grpc for its bootstrap`);
  }
  const header = `Envoy bootstrap for service "${node.service.name}", node "${node.id}": ADS (${opts.delta ? "delta" : "state of the world"}) to ${(opts.xdsServers?.length ? opts.xdsServers : [opts.xds]).map(formatXdsAddress).join(", ")}`;
  return { ok: true, text: formatBootstrap(checked.json, opts.format, header), json: checked.json, nodeId: node.id, warnings };
}

/** Whether the bootstrap's xds_cluster has a transport socket (TLS to the xDS server). */
function xdsClusterHasTls(json: Json): boolean {
  const clusters = ((json as { static_resources?: { clusters?: { name?: string; transport_socket?: unknown }[] } }).static_resources?.clusters ?? []);
  return clusters.some((c) => c.name === "xds_cluster" && c.transport_socket !== undefined);
}

function templateData(node: NodeIdentity, opts: BootstrapOptions, adminPort: number): BootstrapTemplateData {
  const servers = opts.xdsServers?.length ? opts.xdsServers : [opts.xds];
  const dns = servers.some((s) => isIP(s.host) === 0);
  return {
    service: node.service.name,
    nodeId: node.id,
    locality: node.locality ? { ...node.locality } : null,
    // A literal address needs no resolver; a host name is resolved (and re-resolved) by STRICT_DNS.
    xds: { host: opts.xds.host, port: opts.xds.port, clusterType: dns ? "STRICT_DNS" : "STATIC", dns, servers: servers.map((s) => ({ host: s.host, port: s.port })) },
    apiType: opts.delta ? "DELTA_GRPC" : "GRPC",
    delta: opts.delta === true,
    adminPort,
    statsTags: STATS_TAGS.map((t) => ({ ...t })),
    histogramBuckets: node.service.telemetry?.metrics?.histogramBucketsMs ?? null,
    xdsTls: opts.xdsTls ? { ...opts.xdsTls } : null,
  };
}

/**
 * Checks a bootstrap given as Envoy JSON (snake_case or camelCase keys, "1s" durations, Any as "@type") and returns
 * its canonical JSON. With `parsed`, issues also get the line of the offending key in the rendered text.
 */
export function checkBootstrap(value: Json, source: string, parsed?: ParsedYaml): { ok: true; json: Json } | { ok: false; issues: BootstrapIssue[] } {
  const r = encodeJson(BOOTSTRAP_TYPE, value, "Bootstrap");
  if (r.ok) return { ok: true, json: messageToJson(BOOTSTRAP_TYPE, r.message.canonical) };
  return {
    ok: false,
    issues: r.issues.map((i) => {
      const issue: BootstrapIssue = { kind: "schema", source, path: i.path, message: i.message };
      const at = parsed && locate(parsed, i.path);
      if (at) Object.assign(issue, { line: at.line, column: at.column, in: "rendered" as const });
      return issue;
    }),
  };
}

/** Stable text: proto field order (the codec's canonical order), two-space indent, a trailing newline. */
export function formatBootstrap(json: Json, format: BootstrapFormat, header?: string): string {
  if (format === "json") return `${JSON.stringify(json, null, 2)}\n`;
  const body = YAML.stringify(json, { lineWidth: 0, aliasDuplicateObjects: false });
  return header ? `# ${header}\n# Generated by meshc; regenerate instead of editing.\n${body}` : body;
}
