// Lowering telemetry: the mesh's telemetry option and a service's mesh.telemetry() calls become one TelemetryIR
// per service. A service's call replaces each section it gives (accessLog, metrics, tracing) as a whole; a section
// given by two calls for one service is a conflict (MESH0005, first wins). `true` means the section's defaults,
// `false` (or leaving it out everywhere) turns it off; a service with every section off gets no telemetry at all.
import type { CollectorModel, TelemetryModel } from "../dsl/model.js";
import type { SourceSite } from "../dsl/site.js";
import type { AccessLogOptions, MetricsOptions, TracingOptions } from "../dsl/telemetry.js";
import type { Diagnostic } from "../diagnostics/types.js";
import type { AccessLogIR, CollectorIR, MetricsIR, SourceLoc, TelemetryIR, TracingIR } from "../ir/types.js";
import { codes } from "./codes.js";
import { ms } from "./duration.js";

/** Defaults of the telemetry sections (documented in docs/dsl.md). */
export const TELEMETRY_DEFAULTS = {
  metricsPort: 15090,
  metricsPath: "/stats/prometheus",
  accessLogFormat: "json",
  samplePercent: 100,
} as const;

const SECTIONS = ["accessLog", "metrics", "tracing"] as const;

export interface TelemetryLowering {
  service: string;
  mesh: TelemetryModel | undefined;
  calls: readonly TelemetryModel[];
  /** Maps a captured site to the user's SourceLoc. */
  loc: (site: SourceSite | undefined) => SourceLoc | undefined;
  siteOf: (value: unknown) => SourceSite | undefined;
  /** Adds location fields to a diagnostic. */
  at: (value: unknown, d: Diagnostic) => Diagnostic;
  diagnostics: Diagnostic[];
}

export function telemetryIR(o: TelemetryLowering): TelemetryIR | undefined {
  const merged: TelemetryModel = { ...(o.mesh ?? {}) };
  let source = o.loc(o.siteOf(o.mesh));
  const setBy = new Map<string, TelemetryModel>();
  for (const call of o.calls) {
    for (const key of SECTIONS) {
      if (call[key] === undefined) continue;
      const first = setBy.get(key);
      if (first) {
        const f = o.loc(o.siteOf(first));
        o.diagnostics.push(
          o.at(call, {
            code: codes.ConflictingSetting,
            severity: "error",
            message: `telemetry section "${key}" of service "${o.service}" is set twice${f ? ` (first set at ${f.file}:${f.line}:${f.column})` : ""}; set each section once`,
            path: ["services", o.service, "telemetry", key],
          }),
        );
        continue;
      }
      setBy.set(key, call);
      (merged as Record<string, unknown>)[key] = call[key];
    }
    if (o.calls[0] === call) source = o.loc(o.siteOf(call)) ?? source;
  }
  const out: TelemetryIR = {};
  const accessLog = accessLogIR(merged.accessLog);
  if (accessLog) out.accessLog = accessLog;
  const metrics = metricsIR(merged.metrics);
  if (metrics) out.metrics = metrics;
  const tracing = tracingIR(merged.tracing);
  if (tracing) out.tracing = tracing;
  if (!accessLog && !metrics && !tracing) return undefined;
  if (source) out.source = source;
  return out;
}

function accessLogIR(a: AccessLogOptions | boolean | undefined): AccessLogIR | undefined {
  if (a === undefined || a === false) return undefined;
  const opts: AccessLogOptions = a === true ? {} : a;
  const to = opts.to ?? "stdout";
  const out: AccessLogIR = {
    format: opts.format ?? TELEMETRY_DEFAULTS.accessLogFormat,
    destination: to === "stdout" ? { kind: "stdout" } : "file" in to ? { kind: "file", path: to.file } : { kind: "otel", collector: collectorIR(to.otel as unknown as CollectorModel) },
    errorsOnly: opts.filter?.errorsOnly ?? false,
    samplePercent: opts.filter?.samplePercent ?? TELEMETRY_DEFAULTS.samplePercent,
  };
  if (opts.filter?.slowerThan !== undefined) out.slowerThanMs = ms(opts.filter.slowerThan);
  return out;
}

function metricsIR(m: MetricsOptions | boolean | undefined): MetricsIR | undefined {
  if (m === undefined || m === false) return undefined;
  const opts: MetricsOptions = m === true ? {} : m;
  const out: MetricsIR = { port: opts.port ?? TELEMETRY_DEFAULTS.metricsPort, path: TELEMETRY_DEFAULTS.metricsPath };
  if (opts.histogramBuckets) out.histogramBucketsMs = [...opts.histogramBuckets];
  return out;
}

function collectorIR(c: CollectorModel): CollectorIR {
  if (typeof c === "string") {
    const i = c.lastIndexOf(":");
    return { kind: "address", host: c.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(c.slice(i + 1)) };
  }
  return c.port === undefined ? { kind: "service", service: c.service } : { kind: "service", service: c.service, port: c.port };
}

function tracingIR(t: (Omit<TracingOptions, "collector"> & { collector: CollectorModel }) | false | undefined): TracingIR | undefined {
  if (t === undefined || t === false) return undefined;
  const tags = Object.keys(t.tagsFromHeaders ?? {})
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((tag) => ({ tag, header: t.tagsFromHeaders![tag]!.toLowerCase() }));
  return { collector: collectorIR(t.collector), samplePercent: t.samplePercent ?? TELEMETRY_DEFAULTS.samplePercent, tagsFromHeaders: tags };
}
