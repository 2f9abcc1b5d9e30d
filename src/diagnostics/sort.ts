// One order for diagnostics everywhere (front end and analysis merged): file, line, column, code, then path and
// message so equal positions still sort deterministically. Diagnostics without a file come last.
import type { Diagnostic } from "./types.js";

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    cmpOptional(a.file, b.file, cmp) ||
    cmpOptional(a.line, b.line, (x, y) => x - y) ||
    cmpOptional(a.column, b.column, (x, y) => x - y) ||
    cmp(a.code, b.code) ||
    cmp(JSON.stringify(a.path ?? []), JSON.stringify(b.path ?? [])) ||
    cmp(a.message, b.message)
  );
}

/** A sorted copy (same order as compareDiagnostics; path keys are computed once per diagnostic). */
export function sortDiagnostics(list: readonly Diagnostic[]): Diagnostic[] {
  const keyed = list.map((d) => ({ d, path: JSON.stringify(d.path ?? []) }));
  keyed.sort(
    (a, b) =>
      cmpOptional(a.d.file, b.d.file, cmp) ||
      cmpOptional(a.d.line, b.d.line, (x, y) => x - y) ||
      cmpOptional(a.d.column, b.d.column, (x, y) => x - y) ||
      cmp(a.d.code, b.d.code) ||
      cmp(a.path, b.path) ||
      cmp(a.d.message, b.d.message),
  );
  return keyed.map((k) => k.d);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpOptional<T>(a: T | undefined, b: T | undefined, f: (x: T, y: T) => number): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return f(a, b);
}
