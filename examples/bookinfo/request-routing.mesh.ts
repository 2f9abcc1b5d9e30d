// Istio task "Request routing" (virtual-service-reviews-test-v2.yaml): the user jason (header end-user) sees
// reviews v2, everyone else v1.
import { defineMesh } from "meshc";
import { allV1, bookinfo, MESH } from "./bookinfo.js";

export default defineMesh(MESH, (mesh) => {
  const s = bookinfo(mesh);
  allV1(mesh, s);
  mesh.routes(s.reviews, (r) => [
    r.match({ headers: { "end-user": "jason" } }).to(s.reviews.subset("v2")),
    r.match().to(s.reviews.subset("v1")),
  ]);
});
