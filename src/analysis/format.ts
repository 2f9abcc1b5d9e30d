// Small formatting helpers shared by analyzers, so every message quotes values and prints durations the same way.

const CONTROL = /[\u0000-\u001f\u007f]/;

/** A user value in double quotes, with control characters made visible (NUL -> \0, LF -> \n). */
export function q(value: string): string {
  // Analyzers quote names in every message they might report (tens of thousands per 1,000-service mesh, issue 12).
  if (!CONTROL.test(value)) return `"${value}"`;
  const visible = value.replace(/[\u0000-\u001f\u007f]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\r") return "\\r";
    if (c === "\t") return "\\t";
    if (c === "\0") return "\\0";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return `"${visible}"`;
}

/** Whole milliseconds as the DSL writes them: 250ms, 1.5s, 2m. */
export function ms(value: number): string {
  if (value >= 60_000 && value % 60_000 === 0) return `${value / 60_000}m`;
  if (value >= 1000) return `${value / 1000}s`;
  return `${value}ms`;
}

/** "a", "a and b", "a, b and c". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** Labels as {k: "v", …} in key order, or "{}" for none. */
export function labelsText(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return "{}";
  return `{${keys.map((k) => `${k}: ${q(labels[k]!)}`).join(", ")}}`;
}

/** Edit distance with adjacent transpositions (optimal string alignment): "ctalog" -> "catalog" is 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The closest candidate, TypeScript-style: within ⌊0.4·len⌋+1 edits and a length difference of at most
 * max(2, ⌊0.34·len⌋); a case-only difference counts as 0. Ties go to the alphabetically first name.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.floor(name.length * 0.4) + 1;
  const maxLengthDiff = Math.max(2, Math.floor(name.length * 0.34));
  let best: { name: string; d: number } | undefined;
  for (const c of [...new Set(candidates)].sort()) {
    if (c === name || Math.abs(c.length - name.length) > maxLengthDiff) continue;
    const d = c.toLowerCase() === name.toLowerCase() ? 0 : editDistance(name, c);
    if (d <= limit && (best === undefined || d < best.d)) best = { name: c, d };
  }
  return best?.name;
}

/** ` Did you mean "x"?` or "": appended to messages whose template ends with {suggestion}. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const c = closest(name, candidates);
  return c === undefined ? "" : ` Did you mean ${q(c)}?`;
}
