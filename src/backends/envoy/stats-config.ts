// The stats_config a sidecar with telemetry metrics runs with, in Envoy JSON: the same tags and histogram buckets
// the bootstrap template renders (envoy-bootstrap.yaml.hbs), for bootstraps meshc builds itself (static ones).
import type { ServiceIR } from "../../ir/types.js";
import { STATS_TAGS } from "./telemetry-names.js";

export function statsConfig(svc: ServiceIR): Record<string, unknown> {
  const buckets = svc.telemetry?.metrics?.histogramBucketsMs;
  return {
    use_all_default_tags: { value: true },
    stats_tags: [
      { tag_name: "meshc_service", fixed_value: svc.name },
      { tag_name: "source_service", fixed_value: svc.name },
      ...STATS_TAGS.map((t) => ({ tag_name: t.name, regex: t.regex })),
    ],
    ...(buckets && { histogram_bucket_settings: [{ match: { safe_regex: { regex: ".*" } }, buckets }] }),
  };
}
