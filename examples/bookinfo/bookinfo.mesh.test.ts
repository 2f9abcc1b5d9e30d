// Expectations of every Bookinfo variant (Istio's tasks), checked by `meshc test` against the compiled sidecars:
// the gateway's routes to productpage, and each task's routes between the services.
import { meshTest, request } from "meshc/test";
import faultInjection from "./fault-injection.mesh.js";
import allV1 from "./mesh.js";
import requestRouting from "./request-routing.mesh.js";
import requestTimeouts from "./request-timeouts.mesh.js";
import trafficShifting from "./traffic-shifting.mesh.js";

meshTest(allV1, (t) => {
  t.expect(request({ from: "gateway", to: "productpage", path: "/productpage" })).usesRoute("productpage").routesTo("productpage");
  t.expect(request({ from: "gateway", to: "productpage", path: "/static/img/logo.png" })).usesRoute("productpage");
  t.expect(request({ from: "gateway", to: "productpage", path: "/admin" })).usesRoute("not-found").respondsWith(404, "not found\n");
  t.expect(request({ from: "productpage", to: "reviews", path: "/reviews/0" })).routesTo({ service: "reviews", subset: "v1" }).withTimeout(null);
  t.expect(request({ from: "productpage", to: "details", path: "/details/0" })).routesTo({ service: "details", subset: "v1" });
}, "all v1");

meshTest(requestRouting, (t) => {
  t.expect(request({ from: "productpage", to: "reviews", headers: { "end-user": "jason" } })).routesTo({ service: "reviews", subset: "v2" });
  t.expect(request({ from: "productpage", to: "reviews", headers: { "end-user": "someone" } })).routesTo({ service: "reviews", subset: "v1" });
}, "request routing");

meshTest(trafficShifting, (t) => {
  t.expect(request({ from: "productpage", to: "reviews" })).splits({ v1: 50, v3: 50 });
}, "traffic shifting");

meshTest(faultInjection, (t) => {
  t.expect(request({ from: "reviews", to: "ratings", path: "/ratings/abort", headers: { "end-user": "jason" } })).injectsFault({ abort: 500, percent: 100 });
  t.expect(request({ from: "reviews", to: "ratings", path: "/ratings/0", headers: { "end-user": "jason" } })).injectsFault({ delay: "7s", percent: 100 });
  t.expect(request({ from: "reviews", to: "ratings", path: "/ratings/0" })).routesTo({ service: "ratings", subset: "v1" });
}, "fault injection");

meshTest(requestTimeouts, (t) => {
  t.expect(request({ from: "productpage", to: "reviews" })).routesTo({ service: "reviews", subset: "v2" }).withTimeout("500ms");
  t.expect(request({ from: "reviews", to: "ratings" })).injectsFault({ delay: "2s" });
}, "request timeouts");
