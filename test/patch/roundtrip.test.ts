// What a patch receives must come back byte-identical when the patch changes nothing: for every listener, cluster
// and route table the backend generates in its golden cases (Anys, Structs, bytes, enums, 64-bit integers,
// durations, wrappers), JSON of the canonical form -> the strict encoder gives the same bytes. Otherwise a
// patch touching one field would silently rewrite others, or refuse resources meshc itself generated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeMessage } from "../../src/backends/envoy/api/codec.js";
import { formatIssue } from "../../src/backends/envoy/api/issues.js";
import { canonicalOf, RESOURCE_TYPES } from "../../src/backends/envoy/encode.js";
import { caseNames, translateCase } from "../backend/cases.js";

test("every generated listener, cluster and route table survives the patch round trip byte for byte", () => {
  let checked = 0;
  const seen = new Set<unknown>();
  for (const name of caseNames()) {
    const { result } = translateCase(name);
    for (const proxy of result.snapshot.proxies.values()) {
      for (const kind of ["listener", "cluster", "route"] as const) {
        for (const r of proxy.resources[kind]) {
          if (seen.has(r)) continue;
          seen.add(r);
          const input = JSON.parse(JSON.stringify(canonicalOf(kind, r))) as unknown;
          const back = encodeMessage(RESOURCE_TYPES[kind], input, `${name} ${kind} ${r.name}`);
          assert.ok(back.ok, back.ok ? "" : back.issues.map(formatIssue).join("\n"));
          assert.deepEqual(Buffer.from(back.message.bytes), Buffer.from(r.bytes), `${name}: ${kind} ${r.name}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} resources checked`);
});
