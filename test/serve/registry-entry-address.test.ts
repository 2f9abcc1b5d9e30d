// A registry entry's address must be one Envoy parses: 999.1.1.1 passed validation, Envoy NACKed the endpoint
// update, and the main cluster kept routing to an instance that had deregistered (the subset clusters updated).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEntry } from "../../src/discovery/layout.js";

const key = "/meshc/services/catalog/a";
const parse = (address: string) => parseEntry("/meshc", key, JSON.stringify({ address }));

test("registry entries: addresses Envoy refuses are bad entries; real IPv4 and IPv6 addresses are taken", () => {
  for (const bad of ["999.1.1.1", "01.2.3.4", "1:2", ":::", "1::2::3", "fe80::1%eth0", "1.2.3", "catalog.internal"]) {
    const r = parse(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.reason, "bad_entry", bad);
  }
  for (const good of ["10.0.0.1", "0.0.0.1", "::1", "fd00::12", "::ffff:10.0.0.1"]) assert.equal(parse(good).ok, true, good);
});
