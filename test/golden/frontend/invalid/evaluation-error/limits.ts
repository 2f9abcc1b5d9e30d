// A helper that throws when it is handed a tier it does not know.
const limits: Record<string, number> = { gold: 1000, silver: 100 };

export function requestLimit(tier: string): number {
  const limit = limits[tier];
  if (limit === undefined) throw new RangeError(`unknown tier "${tier}"`);
  return limit;
}
