// Request limits per service tier; an unknown tier is a mistake in the mesh.
const limits: Record<string, number> = { gold: 1000, silver: 100 };

export function requestLimit(tier: string): number {
  const limit = limits[tier];
  if (limit === undefined) throw new RangeError(`unknown tier "${tier}"`); // expect: MESH0002
  return limit;
}
