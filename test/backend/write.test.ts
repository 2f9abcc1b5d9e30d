// The build directory: DiscoveryResponse files in Envoy's JSON form that re-encode to the very bytes served,
// a manifest, and an atomic writer that leaves <dir> untouched on failure.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { encodeJson, messageToJson } from "../../src/backends/envoy/api/codec.js";
import type { Json } from "../../src/backends/envoy/api/json.js";
import { canonicalOf, RESOURCE_TYPES } from "../../src/backends/envoy/encode.js";
import { FILE_OF, MANIFEST, manifestOf, renderBuild } from "../../src/build/render.js";
import { BuildDirError, openBuildDir, writeBuildDir } from "../../src/build/write.js";
import { PUSH_ORDER, TYPE_URLS } from "../../src/snapshot/types.js";
import { variantDir } from "../../src/snapshot/variants.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { caseNames, readTree, translateCase } from "./cases.js";
import { planBuild } from "../../src/build/incremental.js";
import { ENCODED_INDEX, withEncodedIndex } from "../../src/build/encoded-index.js";

const tmp = mkdtempSync(join(tmpdir(), "meshc-write-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("rendered files", () => {
  const { ir, result } = translateCase("http-routing");
  const files = renderBuild(ir.name, result.snapshot);

  test("one DiscoveryResponse per type per proxy, plus the manifest", () => {
    const expected = [...result.snapshot.proxies.keys()].flatMap((s) => ["cds", "eds", "lds", "rds"].map((t) => `${s}/${t}.json`));
    assert.deepEqual([...files.keys()].sort(), [...expected, MANIFEST].sort());
  });

  test("each file is Envoy's JSON of the DiscoveryResponse message, 2-space indented", () => {
    for (const proxy of result.snapshot.proxies.values()) {
      for (const kind of PUSH_ORDER.filter((k) => k !== "secret")) {
        const text = files.get(`${proxy.service}/${FILE_OF[kind]}`)!;
        const parsed = JSON.parse(text) as Json;
        assert.equal(text, `${JSON.stringify(parsed, null, 2)}\n`);
        const viaCodec = messageToJson("envoy.service.discovery.v3.DiscoveryResponse", {
          version_info: proxy.versions[kind],
          resources: proxy.resources[kind].map((r) => ({ "@type": r.typeUrl, ...canonicalOf(kind, r) })),
          type_url: proxy.resources[kind][0]?.typeUrl ?? (parsed as { type_url: string }).type_url,
        });
        if (proxy.resources[kind].length) assert.deepEqual(parsed, viaCodec, `${proxy.service}/${kind}`);
        assert.deepEqual(Object.keys(parsed as object), ["version_info", "resources", "type_url"]);
      }
    }
  });

  test("every resource in the files re-encodes to the exact bytes and hash served over xDS", () => {
    for (const proxy of result.snapshot.proxies.values()) {
      for (const kind of PUSH_ORDER.filter((k) => k !== "secret")) {
        const doc = JSON.parse(files.get(`${proxy.service}/${FILE_OF[kind]}`)!) as { resources: Record<string, Json>[] };
        doc.resources.forEach((json, i) => {
          const { "@type": url, ...body } = json;
          assert.equal(url, proxy.resources[kind][i]!.typeUrl);
          const enc = encodeJson(RESOURCE_TYPES[kind], body, "x");
          assert.ok(enc.ok, JSON.stringify(enc));
          assert.deepEqual(Buffer.from(enc.message.bytes), Buffer.from(proxy.resources[kind][i]!.bytes));
        });
      }
    }
  });

  test("the manifest counts resources and wire bytes with each type's version", () => {
    const m = JSON.parse(files.get(MANIFEST)!);
    assert.deepEqual(m, manifestOf(ir.name, result.snapshot));
    assert.equal(m.mesh, "shop");
    const web = result.snapshot.proxies.get("web")!;
    assert.deepEqual(m.proxies.web.cds, {
      bytes: web.resources.cluster.reduce((n, r) => n + r.bytes.length, 0),
      resources: web.resources.cluster.length,
      version: web.versions.cluster,
    });
    assert.deepEqual(Object.keys(m.proxies), [...result.snapshot.proxies.keys()].sort());
  });
});

describe("spliced renderings (route tables from virtual hosts, assignments from locality groups)", () => {
  test("every file of a mesh with locality variants is the generic rendering, byte for byte", () => {
    const { snapshot } = translateMesh(syntheticMesh({ services: 12 }));
    const files = renderBuild("m", snapshot);
    let priorities = 0;
    for (const proxy of snapshot.proxies.values()) {
      for (const [dir, p] of [[proxy.service, proxy] as const, ...[...(proxy.variants ?? [])].map(([k, v]) => [`${proxy.service}/${variantDir(k)}`, v] as const)]) {
        for (const kind of PUSH_ORDER.filter((k) => k !== "secret")) {
          const text = files.get(`${dir}/${FILE_OF[kind]}`);
          if (text === undefined) continue; // a variant's folder holds only the files that differ
          const generic = messageToJson("envoy.service.discovery.v3.DiscoveryResponse", {
            version_info: p.versions[kind],
            resources: p.resources[kind].map((r) => ({ "@type": r.typeUrl, ...canonicalOf(kind, r) })),
            type_url: TYPE_URLS[kind],
          });
          assert.equal(text, `${JSON.stringify(generic, null, 2)}\n`, `${dir}/${FILE_OF[kind]}`);
          priorities += (text.match(/"priority"/g) ?? []).length;
        }
      }
    }
    assert.ok(priorities > 50, `priorities ${priorities}`);
  });
});

describe("the build's bytes", () => {
  // meshc build writes planBuild's files, assembled as bytes from each distinct resource's rendering: they must be
  // exactly renderBuild's text, for every golden case (zones has locality variants, mtls has secrets).
  for (const name of caseNames()) {
    test(`${name}: planBuild's files are renderBuild's text, byte for byte`, async () => {
      const { ir, result } = translateCase(name);
      const text = renderBuild(ir.name, result.snapshot);
      const plan = await planBuild(join(tmp, "none", name), ir.name, result.snapshot);
      assert.equal(plan.reuse.size, 0);
      for (const [rel, t] of text) {
        const got = plan.files.get(rel);
        assert.ok(got !== undefined, rel);
        assert.ok(Buffer.from(got).equals(Buffer.from(t)), `${name}: ${rel} differs`);
      }
      assert.deepEqual([...plan.files.keys()].sort(), [...text.keys(), ENCODED_INDEX].sort());
      assert.equal(plan.files.get(ENCODED_INDEX), withEncodedIndex(new Map(text), result.snapshot).get(ENCODED_INDEX));
    });
  }
});

describe("the streaming writer (meshc build: files assembled, written and digested on the writer's thread)", () => {
  test("planBuild into openBuildDir writes the same tree as writeBuildDir of the plan, first build and rebuild", async () => {
    const { snapshot } = translateMesh(syntheticMesh({ services: 12 }));
    const expected = join(tmp, "stream", "expected");
    const plan = await planBuild(expected, "m", snapshot);
    await writeBuildDir(expected, plan.files, plan.reuse);
    const out = join(tmp, "stream", "out");
    for (const round of ["first", "rebuild"]) {
      const w = await openBuildDir(out);
      const streamed = await planBuild(out, "m", snapshot, undefined, w);
      await w.commit();
      assert.deepEqual(readTree(out), readTree(expected), round);
      assert.equal(streamed.rendered + streamed.reuse.size + 2, readTree(out).size, round);
      if (round === "rebuild") assert.equal(streamed.rendered, 0, "a rebuild of the same snapshot links every file");
    }
    assert.deepEqual(readdirSync(join(tmp, "stream")).sort(), ["expected", "out"]);
  });

  test("an aborted or failed stream leaves the directory as it was", async () => {
    const out = join(tmp, "stream-fail", "dist");
    await writeBuildDir(out, new Map([["a/x.json", "{}\n"], [MANIFEST, "{}\n"]]));
    const before = readTree(out);
    const w = await openBuildDir(out);
    w.write("b/y.json", "[]\n");
    await w.abort();
    assert.deepEqual(readTree(out), before);
    const f = await openBuildDir(out);
    f.write("a", "1");
    f.write("a/b.json", "2"); // "a" is a file: this write fails on the thread
    await assert.rejects(f.commit());
    assert.deepEqual(readTree(out), before);
    assert.deepEqual(readdirSync(join(tmp, "stream-fail")), ["dist"]);
  });
});

describe("retire: detach (meshc build: the old tree is removed by a detached process)", () => {
  // Waits (polling) until the retired trees are gone: the remover is another process.
  const settled = async (dir: string, expected: string[]) => {
    for (let i = 0; i < 600 && readdirSync(dir).sort().join() !== expected.join(); i++) await new Promise((r) => setTimeout(r, 50));
    return readdirSync(dir).sort();
  };

  test("commit returns with the new tree in place; the old one and one left behind earlier are removed", async () => {
    const root = join(tmp, "detach");
    const out = join(root, "dist");
    await writeBuildDir(out, new Map([["a/x.json", "{}\n"], [MANIFEST, "{}\n"]]));
    // A retired tree an earlier build's remover did not finish, and a file that is not one (kept).
    mkdirSync(join(root, ".dist.old-stale", "a"), { recursive: true });
    writeFileSync(join(root, ".dist.old-stale", "a", "x.json"), "{}\n");
    writeFileSync(join(root, "notes.dist.old-x"), "mine");
    const w = await openBuildDir(out, { retire: "detach" });
    w.write("b/y.json", "[]\n");
    w.write(MANIFEST, "{\"v\":2}\n");
    await w.commit();
    assert.deepEqual([...readTree(out).keys()], ["b/y.json", MANIFEST], "the new tree is complete when commit returns");
    assert.deepEqual(await settled(root, ["dist", "notes.dist.old-x"]), ["dist", "notes.dist.old-x"]);
    assert.equal(readFileSync(join(root, "notes.dist.old-x"), "utf8"), "mine");
  });

  test("a failed commit leaves the directory and the retired trees as they were", async () => {
    const root = join(tmp, "detach-fail");
    const out = join(root, "dist");
    await writeBuildDir(out, new Map([["a/x.json", "{}\n"], [MANIFEST, "{}\n"]]));
    const before = readTree(out);
    mkdirSync(join(root, ".dist.old-stale"));
    const f = await openBuildDir(out, { retire: "detach" });
    f.write("a", "1");
    f.write("a/b.json", "2");
    await assert.rejects(f.commit());
    assert.deepEqual(readTree(out), before);
    assert.deepEqual(readdirSync(root).sort(), [".dist.old-stale", "dist"]);
  });
});

describe("writeBuildDir", () => {
  const files = new Map([["a/x.json", "{}\n"], [MANIFEST, "{}\n"]]);

  test("creates, then replaces a previous build wholesale", async () => {
    const out = join(tmp, "replace", "dist");
    await writeBuildDir(out, files);
    assert.deepEqual(readTree(out), files);
    await writeBuildDir(out, new Map([["b/y.json", "[]\n"], [MANIFEST, "{\"v\":2}\n"]]));
    assert.deepEqual([...readTree(out).keys()], ["b/y.json", MANIFEST]);
    assert.deepEqual(readdirSync(join(tmp, "replace")), ["dist"]); // no temp or old directories left behind
  });

  test("a failed write leaves the existing directory byte-identical", async () => {
    const out = join(tmp, "fail", "dist");
    await writeBuildDir(out, files);
    const before = readTree(out);
    // "a" as a file and as a directory: the second write fails half-way through.
    await assert.rejects(writeBuildDir(out, new Map([["a", "1"], ["a/b.json", "2"], [MANIFEST, "{}"]])));
    assert.deepEqual(readTree(out), before);
    assert.deepEqual(readdirSync(join(tmp, "fail")), ["dist"]);
  });

  test("refuses to replace a directory that is not a meshc build, and paths outside it", async () => {
    const out = join(tmp, "foreign");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "notes.txt"), "mine");
    await assert.rejects(writeBuildDir(out, files), BuildDirError);
    assert.equal(readFileSync(join(out, "notes.txt"), "utf8"), "mine");
    await assert.rejects(writeBuildDir(join(tmp, "escape"), new Map([["../evil.json", "x"]])), BuildDirError);
    assert.equal(existsSync(join(tmp, "evil.json")), false);
  });
});
