// Istio task "Request timeouts": reviews v2 with a 0.5s timeout, ratings delayed 2s, so productpage's calls to
// reviews time out (Istio sets no timeout by default; neither does meshc).
import { defineMesh } from "meshc";
import { bookinfo, MESH } from "./bookinfo.js";

export default defineMesh(MESH, (mesh) => {
  const s = bookinfo(mesh);
  mesh.routes(s.details, (r) => [r.match().to(s.details.subset("v1"))]);
  mesh.routes(s.reviews, (r) => [r.match().to(s.reviews.subset("v2")).timeout("500ms")]);
  mesh.routes(s.ratings, (r) => [r.match().to(s.ratings.subset("v1")).fault({ delay: { fixed: "2s" } })]);
});
