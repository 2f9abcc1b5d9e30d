// The route evaluator's Envoy semantics on hand-written canonical resources: virtual host ranking, header
// matchers with invert and present, query parameters, RE2 full match, case sensitivity, rewrites, redirects,
// and the first failing condition it reports. (test/route-differential/ checks the same code against real Envoy.)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Canonical } from "../../src/backends/envoy/api/canonical.js";
import { evaluateRoute, firstFailure, queryParams, selectVirtualHost, type RouteRequest } from "../../src/route/evaluate.js";

const req = (over: Partial<RouteRequest> = {}): RouteRequest => ({ authority: "api", method: "GET", path: "/", headers: {}, ...over });
const vh = (name: string, domains: string[]) => ({ name, domains, routes: [] }) as unknown as Canonical;

test("virtual hosts: exact, then longest suffix wildcard, then prefix wildcard, then *", () => {
  const hosts = [vh("any", ["*"]), vh("pre", ["api*"]), vh("suf", ["*.mesh"]), vh("suf2", ["*.x.mesh"]), vh("exact", ["api.x.mesh"])];
  assert.equal(selectVirtualHost(hosts, "API.X.MESH")?.name, "exact");
  assert.equal(selectVirtualHost(hosts, "b.x.mesh")?.name, "suf2");
  assert.equal(selectVirtualHost(hosts, "b.mesh")?.name, "suf");
  assert.equal(selectVirtualHost(hosts, "apiv2")?.name, "pre");
  assert.equal(selectVirtualHost(hosts, "other")?.name, "any");
  assert.equal(selectVirtualHost([vh("a", ["api"])], "api:8080"), undefined);
});

test("header matchers: invert flips a present header; a missing one fails every string matcher", () => {
  const m = (h: Canonical) => firstFailure({ prefix: "/", headers: [h] } as Canonical, req({ headers: { "x-a": "12" } }), "/");
  assert.equal(m({ name: "x-a", string_match: { safe_regex: { regex: "[0-9]+" } } }), undefined);
  assert.match(m({ name: "x-a", string_match: { exact: "12" }, invert_match: true })!, /must not satisfy: equals "12"; it is "12"/);
  assert.match(m({ name: "x-b", string_match: { exact: "1" }, invert_match: true })!, /must be present and not satisfy/);
  assert.equal(m({ name: "x-b", present_match: true, invert_match: true }), undefined);
  assert.match(m({ name: "x-b", present_match: true })!, /must satisfy: is present; it is absent/);
  assert.equal(m({ name: ":method", string_match: { safe_regex: { regex: "^(?:GET|HEAD)$" } } }), undefined);
});

test("paths: RE2 full match, case sensitivity, query dropped; query parameters read raw", () => {
  const f = (match: Canonical, path: string) => firstFailure(match, req({ path }), path.split("?")[0]!);
  assert.equal(f({ safe_regex: { regex: "/a/[0-9]+" } }, "/a/12"), undefined);
  assert.match(f({ safe_regex: { regex: "/a/[0-9]+" } }, "/a/12x")!, /must match the regex/);
  assert.match(f({ prefix: "/API" }, "/api/x")!, /must start with "\/API"/);
  assert.equal(f({ prefix: "/API", case_sensitive: { value: false } }, "/api/x"), undefined);
  assert.equal(f({ path: "/a", query_parameters: [{ name: "q", string_match: { exact: "1" } }] }, "/a?q=1&q=2"), undefined);
  assert.deepEqual([...queryParams("/a?q=%41&r&q=2")], [["q", "%41"], ["r", ""]]);
});

test("actions: first match wins, prefix rewrite keeps the query, redirect location, fault and timeout read back", () => {
  const rc = {
    name: "rc",
    virtual_hosts: [
      {
        name: "api:80",
        domains: ["api"],
        routes: [
          { name: "moved", match: { path: "/old" }, redirect: { prefix_rewrite: "/new", response_code: "PERMANENT_REDIRECT" } },
          {
            name: "v1",
            match: { prefix: "/v1" },
            route: { cluster: "outbound|80||api", prefix_rewrite: "/", timeout: { seconds: "2" } },
            typed_per_filter_config: { "envoy.filters.http.fault": { abort: { http_status: 503, percentage: { numerator: 10 } } } },
          },
          { name: "rest", match: { prefix: "/" }, route: { cluster: "outbound|80||api", timeout: {} } },
        ],
      },
    ],
  } as unknown as Canonical;
  const old = evaluateRoute({}, rc, req({ path: "/old?x=1" }));
  assert.deepEqual(old.outcome, { kind: "redirect", status: 308, location: "http://api/new?x=1" });
  const v1 = evaluateRoute({}, rc, req({ path: "/v1/items?a=b" }));
  assert.equal(v1.route?.name, "v1");
  assert.equal(v1.outcome.kind === "forward" && v1.outcome.upstreamPath, "//items?a=b");
  assert.equal(v1.outcome.kind === "forward" && v1.outcome.timeoutMs, 2000);
  assert.deepEqual(v1.fault, { abort: { percent: 10, httpStatus: 503 } });
  assert.deepEqual(v1.checks.map((c) => c.matched), [false, true, true]);
  const rest = evaluateRoute({}, rc, req({ path: "/x" }));
  assert.equal(rest.outcome.kind === "forward" && rest.outcome.timeoutMs, null);
  assert.equal(evaluateRoute({}, rc, req({ authority: "nope" })).outcome.kind, "no-virtual-host");
});
