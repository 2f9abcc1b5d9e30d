// A redirect's `path` (the whole path) and `prefix` (the matched prefix) exclude each other in the DSL's types, as a
// rewrite's prefix and fullPath do: `redirect({ path, prefix })` used to compile, and Envoy's RedirectAction took the
// path and dropped the prefix without a word. (The schema refuses both too, for values past the types.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { positionOf, typeErrorsOf } from "./tmp-mesh.js";

function errorsOf(redirects: string[]) {
  const text = `import { defineMesh, http } from "meshc";
export default defineMesh({ name: "t", trustDomain: "t.example" }, (mesh) => {
  const api = mesh.service("api", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.0.1:8080"] });
  mesh.routes(api, (r) => [
${redirects.map((o) => `    r.match().redirect(${o}),`).join("\n")}
  ]);
});
`;
  return { text, diagnostics: typeErrorsOf(text) };
}

test("redirect takes path or prefix, each with scheme, host and status; both is a compile error at the options", () => {
  const ok = errorsOf([`{ path: "/a" }`, `{ prefix: "/b/", host: "x.example", status: 302 }`, `{ scheme: "https" }`, `{ path: "/a", scheme: "http", status: 308 }`]);
  assert.deepEqual(ok.diagnostics, []);
  const { text, diagnostics } = errorsOf([`{ path: "/ok" }`, `{ path: "/a", prefix: "/b" }`]);
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.line, d.column]),
    [["MESH0001", positionOf(text, `{ path: "/a", prefix`).line, positionOf(text, `{ path: "/a", prefix`).column]],
  );
});
