// zod schema of the telemetry options (defineMesh's `telemetry`, mesh.telemetry(), a route's traceSampling): value
// rules types cannot express. Whether a collector is reachable, a port collides or a log path is absolute is
// analysis (MESH06xx), so those values are only checked for shape here.
import * as z from "zod";
import { durationMs, MAX_UINT32_DURATION_MS } from "./duration.js";
import { AUTH_HEADERS, isEndpointString } from "./schema-patterns.js";

const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TAG = /^[A-Za-z0-9_.:-]+$/;

/**
 * Span tag names a sidecar sets itself: meshc's `route` (tracing.ts) and Envoy's standard HTTP span tags. A custom
 * tag of the same name is a second attribute with that key, and only one of them reaches the trace backend (meshc's
 * `route` wins), so a tag from a request header may not take one of these names.
 */
export const RESERVED_SPAN_TAGS = new Set([
  "route",
  "component", "node_id", "zone", "guid:x-request-id", "guid:x-client-trace-id", "http.url", "http.method",
  "http.protocol", "http.status_code", "user_agent", "request_size", "response_size", "response_flags",
  "upstream_cluster", "upstream_cluster.name", "upstream_address", "downstream_cluster", "peer.address", "error",
  "error.reason", "grpc.status_code", "grpc.message", "grpc.path", "grpc.authority", "grpc.content_type", "grpc.timeout",
  "retry.count", "retry.reason", "status",
]);

/**
 * Request headers that carry credentials, which a span tag would copy to the trace collector and backend: the HTTP
 * authentication headers (RFC 9110: authorization, proxy-authorization), cookies (RFC 6265: cookie, and set-cookie,
 * a response header, listed so it cannot be asked for either) and the common API-key headers (x-api-key,
 * x-auth-token). Other application-specific secret headers cannot be recognised by name.
 */
export const CREDENTIAL_REQUEST_HEADERS: ReadonlySet<string> = new Set([...AUTH_HEADERS, "cookie", "set-cookie", "x-api-key", "x-auth-token"]);

/** Built by schema.ts with its shared value schemas (a function, so the two modules do not import each other). */
export function telemetrySchemas(v: { duration: z.ZodType<string>; percent: z.ZodType<number>; port: z.ZodType<number> }) {
  const { duration, percent, port } = v;
  const collector = z.union(
    [
      z.strictObject({ service: z.string(), port: z.string().optional() }),
      z.string().refine(isEndpointString),
    ],
    { error: (i) => `expected a collector: a service, svc.port("name") or "host:port", got ${JSON.stringify(i.input)}` },
  );

  const accessLog = z.strictObject({
    format: z.enum(["json", "text"]).optional(),
    to: z
      .union(
        [
          z.literal("stdout"),
          z.strictObject({ file: z.string().min(1, { error: "an access-log file path must not be empty" }) }),
          z.strictObject({ otel: collector }),
        ],
        { error: (i) => `expected "stdout", { file: "/absolute/path" } or { otel: collector }, got ${JSON.stringify(i.input)}` },
      )
      .optional(),
    filter: z
      .strictObject({
        errorsOnly: z.boolean().optional(),
        // Envoy's duration_filter compares against a uint32 number of milliseconds.
        slowerThan: duration
          .refine((v) => (durationMs(v) ?? 0) <= MAX_UINT32_DURATION_MS, {
            error: (i) => `an access-log slowerThan must be at most "${MAX_UINT32_DURATION_MS}ms" (Envoy compares it as a 32-bit number of milliseconds, about 49 days), got ${JSON.stringify(i.input)}`,
            params: { hint: `Use a shorter duration, at most "${MAX_UINT32_DURATION_MS}ms" ("1193h" is below it).` },
          })
          .optional(),
        samplePercent: percent.optional(),
      })
      .optional(),
  });

  const metrics = z.strictObject({
    port: port.optional(),
    histogramBuckets: z
      .array(z.number().refine((v) => Number.isFinite(v) && v > 0, { error: "a histogram bucket must be a number of milliseconds above 0" }))
      .min(1, { error: "give at least one histogram bucket" })
      .max(64, { error: "at most 64 histogram buckets" })
      .refine((b) => b.every((v, i) => i === 0 || v > b[i - 1]!), { error: "histogram buckets must be strictly ascending" })
      .optional(),
  });

  const tracing = z.strictObject({
    collector,
    samplePercent: percent.optional(),
    tagsFromHeaders: z
      .record(
        z.string().regex(TAG, { error: (i) => `a span tag name must be letters, digits, "_", ".", ":" or "-", got ${JSON.stringify(i.input)}` }),
        z.string().regex(HEADER, { error: (i) => `invalid header name ${JSON.stringify(i.input)}` }),
      )
      .optional(),
  });

  const telemetry = z
    .strictObject({
      accessLog: z.union([z.boolean(), accessLog]).optional(),
      metrics: z.union([z.boolean(), metrics]).optional(),
      tracing: z.union([z.literal(false), tracing]).optional(),
    })
    // Here rather than in `tracing`: an issue inside a union branch would come out as the union's "Invalid input".
    .superRefine((v, ctx) => {
      const tags = v.tracing ? (v.tracing.tagsFromHeaders ?? {}) : {};
      for (const [tag, header] of Object.entries(tags)) {
        if (RESERVED_SPAN_TAGS.has(tag)) {
          ctx.addIssue({
            code: "custom",
            path: ["tracing", "tagsFromHeaders", tag],
            message: `span tag ${JSON.stringify(tag)} is one the sidecar sets itself (${tag === "route" ? "meshc's route name" : "an Envoy standard span tag"}): a tag from header ${JSON.stringify(header)} under that name would be lost`,
            params: { hint: 'Give the tag a name of its own, e.g. with a prefix: { "app.route": "x-route" }.' },
          });
        }
        if (CREDENTIAL_REQUEST_HEADERS.has(header.toLowerCase())) {
          ctx.addIssue({
            code: "custom",
            path: ["tracing", "tagsFromHeaders", tag],
            message: `header ${JSON.stringify(header)} carries credentials: as span tag ${JSON.stringify(tag)} it would send them to the trace collector and backend`,
            params: { hint: "Tag spans with a header that holds no secret (e.g. a tenant or user id the application sets); credentials must not leave the request." },
          });
        }
      }
    });

  return { telemetry, traceSampling: percent };
}
