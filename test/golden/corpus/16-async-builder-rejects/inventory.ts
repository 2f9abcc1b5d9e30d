// A stand-in for an inventory lookup: hosts by service, resolved asynchronously.
const inventory: Record<string, `${string}:${number}`[]> = { cart: ["10.0.2.10:8080"] };

export async function loadInventory(service: string): Promise<`${string}:${number}`[]> {
  await Promise.resolve();
  const hosts = inventory[service];
  if (!hosts) throw new Error(`no inventory entry for service "${service}"`); // expect: MESH0002
  return hosts;
}
