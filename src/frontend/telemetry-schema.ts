// zod schema of the telemetry options (defineMesh's `telemetry`, mesh.telemetry(), a route's traceSampling): value
// rules types cannot express. Whether a collector is reachable, a port collides or a log path is absolute is
// analysis (MESH06xx), so those values are only checked for shape here.
import * as z from "zod";
import { durationMs, MAX_UINT32_DURATION_MS } from "./duration.js";
import { isEndpointString } from "./schema-patterns.js";

const HEADER = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TAG = /^[A-Za-z0-9_.:-]+$/;

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

  const telemetry = z.strictObject({
    accessLog: z.union([z.boolean(), accessLog]).optional(),
    metrics: z.union([z.boolean(), metrics]).optional(),
    tracing: z.union([z.literal(false), tracing]).optional(),
  });

  return { telemetry, traceSampling: percent };
}
