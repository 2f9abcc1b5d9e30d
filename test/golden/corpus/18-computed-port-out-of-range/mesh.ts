// Ports assigned by a formula: the third shard lands on 70000, beyond 65535.
import { defineMesh, http } from "meshc";

const shards = ["a", "b", "c"];

export default defineMesh({ name: "shards", trustDomain: "shards.example" }, (mesh) => {
  shards.forEach((shard, i) => {
    mesh.service(`kv-${shard}`, {
      ports: { web: http(50000 + i * 10000, { app: 3000 + i }) }, // expect: MESH0003
      instances: [{ address: `10.0.7.${10 + i}` }],
    });
  });
});
