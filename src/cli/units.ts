// Parsers for command-line sizes ("4MiB", "64KiB", "512", bytes) and durations ("5s", "250ms", "30m"; a bare
// number is milliseconds), as commander argument parsers: a bad value is a usage error (exit 2).
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { durationMs } from "../frontend/duration.js";

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kib: 1024, kb: 1000, mib: 1024 ** 2, mb: 1000 ** 2, gib: 1024 ** 3, gb: 1000 ** 3 };

export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgumentError(`"${text}" is not a size (e.g. 4MiB, 64KiB, 1048576)`);
  return Math.round(Number(m[1]) * unit);
}

export function parseDurationMs(text: string): number {
  const t = text.trim();
  const v = /^\d+$/.test(t) ? Number(t) : durationMs(t);
  if (v === undefined) throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 5s, 250ms, 30m, or milliseconds)`);
  return v;
}

export function parseCount(text: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw new InvalidArgumentError(`"${text}" is not a whole number`);
  return Number(t);
}

/** A size for help texts: 4194304 -> "4MiB". */
export function showSize(bytes: number): string {
  for (const [u, n] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  return String(bytes);
}

/** A duration for help texts: 1800000 -> "30m". */
export function showDuration(ms: number): string {
  for (const [u, n] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}
