// Bookinfo, every service on v1 (Istio's virtual-service-all-v1.yaml), with the subsets of
// destination-rule-all.yaml and, as a subset traffic policy, a circuit breaker on reviews v3 only.
// The task variants are the *.mesh.ts files beside this one.
import { defineMesh } from "meshc";
import { allV1, bookinfo, MESH } from "./bookinfo.js";

export default defineMesh(MESH, (mesh) => {
  const s = bookinfo(mesh);
  allV1(mesh, s);
  mesh.routes(s.reviews, (r) => [r.match().to(s.reviews.subset("v1"))]);
  // Istio: a DestinationRule subset with its own trafficPolicy; here only reviews-v3's clusters get it.
  mesh.policy(s.reviews.subset("v3"), { circuitBreaker: { maxConnections: 100, maxPending: 10 }, outlierDetection: { consecutive5xx: 3 } });
});
