// Reading a sidecar's Prometheus endpoint (/stats/prometheus on its metrics port) without Prometheus: parse the text
// exposition format, sum counters by a label, and estimate a quantile from histogram buckets the way PromQL's
// histogram_quantile does (linear interpolation inside the bucket). Used by the demo's closing summary.
import { getText } from "./http.js";

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePromText(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!.replace(/\\(.)/g, "$1");
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export async function scrape(port: number, path = "/stats/prometheus"): Promise<Sample[]> {
  return parsePromText(await getText(port, path, 5000));
}

/** Sum of `name`'s samples matching `where`, grouped by `by`. */
export function sumBy(samples: Sample[], name: string, by: string, where: (l: Record<string, string>) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) if (s.name === name && where(s.labels)) out[s.labels[by] ?? ""] = (out[s.labels[by] ?? ""] ?? 0) + s.value;
  return out;
}

/** histogram_quantile(q, sum by (le) (<name>_bucket{where})): undefined without observations. */
export function quantile(samples: Sample[], histogram: string, q: number, where: (l: Record<string, string>) => boolean = () => true): number | undefined {
  const buckets = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${histogram}_bucket` || !where(s.labels)) continue;
    const le = s.labels.le === "+Inf" ? Infinity : Number(s.labels.le);
    buckets.set(le, (buckets.get(le) ?? 0) + s.value);
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}
