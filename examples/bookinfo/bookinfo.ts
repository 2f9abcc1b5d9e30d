// Istio's Bookinfo sample as a meshc topology, shared by the task variants in this folder (each variant is a
// `*.mesh.ts` file, like one of Istio's samples/bookinfo/networking/*.yaml applied to the same application):
//
//   gateway -> productpage -> details
//                          -> reviews (v1, v2, v3) -> ratings
//
// Every service listens on 9080 as in Istio (the sidecar's inbound listener), its app on 9081 behind it. The
// subsets are those of Istio's destination-rule-all.yaml; the productpage route is the Bookinfo gateway's
// VirtualService, whose `match:` list is an OR of five matches (one Envoy route each, all named "productpage").
import { http, type Mesh } from "meshc";

export const MESH = { name: "bookinfo", trustDomain: "bookinfo.example" } as const;

const port = { http: http(9080, { app: 9081 }) };

export function bookinfo(mesh: Mesh) {
  const ratings = mesh.service("ratings", {
    ports: port,
    instances: [
      { address: "10.20.3.1", labels: { version: "v1" } },
      { address: "10.20.3.2", labels: { version: "v2" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" } },
  });
  const reviews = mesh.service("reviews", {
    ports: port,
    instances: [
      { address: "10.20.2.1", labels: { version: "v1" } },
      { address: "10.20.2.2", labels: { version: "v2" } },
      { address: "10.20.2.3", labels: { version: "v3" } },
    ],
    subsets: { v1: { version: "v1" }, v2: { version: "v2" }, v3: { version: "v3" } },
    calls: [ratings],
  });
  const details = mesh.service("details", {
    ports: port,
    instances: [{ address: "10.20.1.1", labels: { version: "v1" } }],
    subsets: { v1: { version: "v1" } },
  });
  const productpage = mesh.service("productpage", {
    ports: port,
    instances: [{ address: "10.20.0.1", labels: { version: "v1" } }],
    subsets: { v1: { version: "v1" } },
    calls: [details, reviews],
  });
  // The ingress side: what Istio's bookinfo-gateway sends to productpage.
  mesh.service("gateway", { ports: { http: http(8080, { app: 8081 }) }, instances: [{ address: "10.20.9.1" }], calls: [productpage] });
  mesh.routes(productpage, (r) => [
    r
      .match([
        { path: { exact: "/productpage" } },
        { path: { prefix: "/static" } },
        { path: { exact: "/login" } },
        { path: { exact: "/logout" } },
        { path: { prefix: "/api/v1/products" } },
      ])
      .to(productpage)
      .named("productpage"),
    r.match().respond(404, "not found\n").named("not-found"),
  ]);
  return { productpage, details, reviews, ratings };
}

/** virtual-service-all-v1.yaml: details and ratings to v1 (reviews is set by each variant). */
export function allV1(mesh: Mesh, s: ReturnType<typeof bookinfo>): void {
  mesh.routes(s.details, (r) => [r.match().to(s.details.subset("v1"))]);
  mesh.routes(s.ratings, (r) => [r.match().to(s.ratings.subset("v1"))]);
}
