// The precompiled schema (dist/envoy-schema.json, src/backends/envoy/api/schema-artefact.ts) against the .proto load:
// every reflection object must carry the same data (fields, ids, types, resolved types, options and parsedOptions
// incl. (validate.rules), oneofs, enums, defaults, features), and any stale or damaged artefact must be refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import protobuf from "protobufjs";
import { buildSchemaArtefact, loadFromProtos, rootFromArtefactText, schemaArtefactPath } from "../../src/backends/envoy/api/registry.js";
import { isCI } from "../helpers/envoy.js";

// Per-load bookkeeping (lookup memos, lazily built arrays, generated constructors and codecs, which are functions and
// skipped below) and what no meshc code reads: `_defaultEdition` (.proto-parsed objects say proto2, JSON-made ones
// proto3) is read only when an object is added to a package later, which nothing does after the load.
const SKIP = new Set(["_defaultEdition", "parent", "filename", "comment", "comments", "_lookupCache", "_nestedArray", "_fieldsArray", "_oneofsArray", "_fieldsById", "_ctor", "_fieldsByJsonName", "_methodsArray", "_fullyQualifiedObjects", "deferred", "files"]);
const CONTAINERS = new Set(["nested", "fields", "oneofs", "methods"]);

function plain(v: unknown): unknown {
  if (v instanceof protobuf.ReflectionObject) return { ref: v.fullName, kind: v.constructor.name };
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") };
  if (v && typeof v === "object" && typeof (v as { toString?: unknown }).toString === "function" && "low" in v && "high" in v) return { long: String(v) };
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v === undefined ? { undefined: true } : v;
}

/** Every reflection object of a root by kind and full name, with its own data (references as names). */
function describe(root: protobuf.Root): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const visit = (o: protobuf.ReflectionObject) => {
    const key = `${o.constructor.name} ${o.fullName}`;
    if (out.has(key)) return;
    const d: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (SKIP.has(k) || typeof v === "function") continue;
      if (CONTAINERS.has(k) && v && typeof v === "object") {
        d[k] = Object.keys(v);
        for (const c of Object.values(v)) visit(c as protobuf.ReflectionObject);
      } else d[k] = plain(v);
    }
    out.set(key, d);
  };
  visit(root);
  return out;
}

function assertSameRoot(actual: protobuf.Root, expected: protobuf.Root): void {
  const a = describe(actual);
  const e = describe(expected);
  assert.deepEqual([...a.keys()], [...e.keys()]);
  for (const [k, v] of e) assert.deepEqual(a.get(k), v, k);
}

const reference = loadFromProtos();
const artefact = buildSchemaArtefact();
const text = JSON.stringify(artefact);

test("the artefact's root equals the .proto load for every object", () => {
  const root = rootFromArtefactText(text);
  assert.ok(root, "a fresh artefact is accepted");
  assertSameRoot(root, reference);
  assert.ok(describe(reference).size > 1000, "the comparison covers the whole schema");
});

test("the artefact keeps (validate.rules) in parsedOptions and the types fields were written with", () => {
  const root = rootFromArtefactText(text)!;
  const cluster = root.lookupType("envoy.config.cluster.v3.Cluster");
  const ref = reference.lookupType("envoy.config.cluster.v3.Cluster");
  assert.deepEqual(cluster.fields.name!.parsedOptions, ref.fields.name!.parsedOptions);
  assert.ok(JSON.stringify(ref.fieldsArray.map((f) => f.parsedOptions)).includes("(validate.rules)"));
  assert.equal(cluster.fields.connect_timeout!.type, ref.fields.connect_timeout!.type);
  assert.equal(cluster.fields.connect_timeout!.resolvedType!.fullName, ".google.protobuf.Duration");
});

test("the encodings of the two roots agree", () => {
  const root = rootFromArtefactText(text)!;
  const msg = { name: "svc", type: "EDS", connect_timeout: { seconds: 1 }, lb_policy: "RING_HASH", eds_cluster_config: { eds_config: { ads: {} } } };
  const a = root.lookupType("envoy.config.cluster.v3.Cluster");
  const b = reference.lookupType("envoy.config.cluster.v3.Cluster");
  const bytes = b.encode(b.fromObject(msg)).finish();
  assert.deepEqual(Buffer.from(a.encode(a.fromObject(msg)).finish()), Buffer.from(bytes));
  assert.deepEqual(a.toObject(a.decode(bytes)), b.toObject(b.decode(bytes)));
});

test("the artefact npm run build wrote is current (or absent outside CI), never a different schema", () => {
  const path = schemaArtefactPath();
  // npm test builds before testing, so under CI the artefact the package ships must be there.
  if (!existsSync(path)) return assert.ok(!isCI, `${path} is missing: npm run build writes it`);
  const root = rootFromArtefactText(readFileSync(path, "utf8"));
  assert.ok(root, `${path} is stale: run npm run build`);
  assertSameRoot(root, reference);
});

test("a damaged or stale artefact is refused, so the .proto files are loaded instead", () => {
  const tamper = (edit: (a: typeof artefact) => void) => {
    const a = JSON.parse(text) as typeof artefact;
    edit(a);
    return JSON.stringify(a);
  };
  assert.equal(rootFromArtefactText(undefined), undefined);
  assert.equal(rootFromArtefactText(""), undefined);
  assert.equal(rootFromArtefactText(text.slice(0, text.length >> 1)), undefined);
  assert.equal(rootFromArtefactText("null"), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => (a.format = 0))), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => (a.envelope = "0".repeat(64)))), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => a.files.pop())), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => (a.files[0] = "envoy/config/core/v3/base.proto"))), undefined);
  // A changed payload without a matching hash (a field id, a rule, a resolved type).
  assert.equal(rootFromArtefactText(tamper((a) => ((a.root.nested!.envoy as { nested: Record<string, unknown> }).nested.x = {}))), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => (a.parsedOptions = {}))), undefined);
  assert.equal(rootFromArtefactText(tamper((a) => (a.resolved = {}))), undefined);
  // Even with a recomputed payload hash, a field whose resolved type is missing is refused.
  const a = JSON.parse(text) as typeof artefact;
  const k = Object.keys(a.resolved)[0]!;
  delete a.resolved[k];
  assert.equal(rootFromArtefactText(JSON.stringify({ ...a, payloadHash: artefact.payloadHash })), undefined);
});
