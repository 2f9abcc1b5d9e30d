// Istio task "Traffic shifting" (virtual-service-reviews-50-v3.yaml): half of reviews traffic to v3.
import { defineMesh } from "meshc";
import { allV1, bookinfo, MESH } from "./bookinfo.js";

export default defineMesh(MESH, (mesh) => {
  const s = bookinfo(mesh);
  allV1(mesh, s);
  mesh.routes(s.reviews, (r) => [
    r.match().split([
      [s.reviews.subset("v1"), 50],
      [s.reviews.subset("v3"), 50],
    ]),
  ]);
});
