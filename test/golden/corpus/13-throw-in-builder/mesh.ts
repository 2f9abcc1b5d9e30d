// Services are generated from a table; a typo in the table makes the builder throw (a TypeError at run time).
import { defineMesh, http } from "meshc";

const zones: Record<string, string[]> = { "eu-west-1a": ["10.0.1.10"], "eu-west-1b": ["10.0.2.10"] };
const placement = [{ name: "catalog", zone: "eu-west-1a" }, { name: "cart", zone: "eu-west-1c" }];

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  for (const p of placement) {
    const addresses = zones[p.zone]!;
    mesh.service(p.name, {
      ports: { web: http(8080, { app: 3000 }) },
      instances: addresses.map((a) => `${a}:8080` as const), // expect: MESH0002
    });
  }
});
