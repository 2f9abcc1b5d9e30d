// Values types cannot rule out (MESH0003), each reported at the call that gave it.
import { defineMesh, http, tcp, type Duration } from "meshc";

const fromConfig = (text: string) => text as Duration; // e.g. read from a file: not checked by the types

export default defineMesh({ name: "schema", trustDomain: "schema.example" }, (mesh) => {
  const api = mesh.service("api", {
    ports: { web: http(70000) },
    instances: [{ address: "10.0.0.1", weight: 0 }, "10.0.0.2:99999"],
    subsets: { v1: { version: "v1" } },
  });
  const Bad = mesh.service("Bad_Name", { ports: { db: tcp(5432, { app: 0 }) }, instances: [] });
  mesh.routes(api, (r) => [
    r.match()
      .split([
        [api.subset("v1"), 150],
        [Bad, -5],
      ])
      .timeout(fromConfig("1.0005s"))
      .retries({ attempts: 0, perTry: fromConfig("soon") }),
    r.match({ path: { prefix: "/a", exact: "/a" } as never }).to(api).mirror(api, 200),
  ]);
  mesh.policy(api, { outlierDetection: { maxEjectionPercent: 101 }, connectTimeout: "0ms" });
});
