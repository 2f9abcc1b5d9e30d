// Duration literals ("250ms", "1.5s", "2m", "1h") to whole milliseconds.
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

// A mesh repeats a handful of literals thousands of times (validation and lowering each read every one): results are
// remembered (short strings only), in a map emptied when it grows past a bound.
const KEPT = 1000;

/**
 * The longest duration Envoy 1.40 takes in the fields meshc writes durations to: it converts them to milliseconds
 * (DurationUtil::durationToMilliseconds), and refuses 9223372036 s and more ("Invalid duration: Duration
 * out-of-range"; checked with `envoy --mode validate` for every duration field meshc emits), far below protobuf's
 * own 315576000000 s. About 292 years: a value this long means "never" anyway.
 */
export const MAX_DURATION_MS = 9_223_372_035_999;
/** The same bound, as a duration literal for messages and hints. */
export const MAX_DURATION = "9223372035999ms";
/** An access-log `slowerThan` becomes a uint32 number of milliseconds (duration_filter's RuntimeUInt32). */
export const MAX_UINT32_DURATION_MS = 4_294_967_295;
const known = new Map<string, number | undefined>();

/** Milliseconds of a duration literal, or undefined when it is malformed or not a whole number of ms. */
export function durationMs(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  if (text.length > 32) return parse(text); // parsed each time, not kept
  if (known.has(text)) return known.get(text);
  const v = parse(text);
  if (known.size >= KEPT) known.clear();
  known.set(text, v);
  return v;
}

function parse(text: string): number | undefined {
  const m = PATTERN.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  const whole = Math.round(ms);
  return Math.abs(ms - whole) < 1e-6 && Number.isSafeInteger(whole) ? whole : undefined;
}

/** Like durationMs, for values validation has already accepted. */
export function ms(text: string): number {
  const v = durationMs(text);
  if (v === undefined) throw new Error(`invalid duration ${JSON.stringify(text)} passed validation`);
  return v;
}
