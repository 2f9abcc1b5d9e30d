// Istio task "Fault injection": for the user jason only, ratings calls are delayed 7s
// (virtual-service-ratings-test-delay.yaml) and, on /ratings/abort, aborted with HTTP 500
// (virtual-service-ratings-test-abort.yaml); reviews runs v2 for jason (the version that calls ratings).
import { defineMesh } from "meshc";
import { bookinfo, MESH } from "./bookinfo.js";

export default defineMesh(MESH, (mesh) => {
  const s = bookinfo(mesh);
  const jason = { headers: { "end-user": "jason" } };
  mesh.routes(s.details, (r) => [r.match().to(s.details.subset("v1"))]);
  mesh.routes(s.reviews, (r) => [r.match(jason).to(s.reviews.subset("v2")), r.match().to(s.reviews.subset("v1"))]);
  mesh.routes(s.ratings, (r) => [
    r.match({ ...jason, path: { prefix: "/ratings/abort" } }).to(s.ratings.subset("v1")).fault({ abort: { status: 500 } }),
    r.match(jason).to(s.ratings.subset("v1")).fault({ delay: { fixed: "7s" } }),
    r.match().to(s.ratings.subset("v1")),
  ]);
});
