// A hostile or damaged build directory (`meshc serve DIR`, `meshc diff`, warm start): what is not a regular file of a
// bounded size, through a symlink or listed oddly is a clear problem of the load, found without blocking, reading
// without limit or echoing any file's content; the load fails closed and the next good one loads. (An adversarial
// review found each case here hanging the server, swelling it, or dropping a proxy without a word.)
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { BuildDirReader, readBuildDir } from "../../src/backends/envoy/read-build.js";
import { MAX_PROBLEMS, MAX_PROXY_VARIANTS } from "../../src/backends/envoy/build-dir-reader.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { renderBuild } from "../../src/build/render.js";
import { writeBuildDir } from "../../src/build/write.js";
import { withEncodedIndex } from "../../src/build/encoded-index.js";
import { framedWithName } from "../../src/backends/envoy/build-dir-index.js";
import { contentHash, versionOf } from "../../src/snapshot/build.js";
import { sha256 } from "../../src/snapshot/sha256.js";
import { loadState } from "../../src/serve/state.js";

const root = mkdtempSync(join(tmpdir(), "meshc-hostile-dir-"));
after(() => rmSync(root, { recursive: true, force: true }));

const good = join(root, "good");
const ir = syntheticMesh({ services: 6 });
const built = translateMesh(ir);
await writeBuildDir(good, withEncodedIndex(renderBuild(ir.name, built.snapshot), built.snapshot));

let n = 0;
/** A copy of the good directory, damaged by `damage`. */
function damaged(damage: (dir: string) => void): string {
  const dir = join(root, `case-${n++}`);
  cpSync(good, dir, { recursive: true });
  damage(dir);
  return dir;
}

async function problemsOf(dir: string): Promise<string[]> {
  const r = await readBuildDir(dir);
  assert.equal(r.ok, false, "the load fails");
  return r.ok ? [] : r.problems.map((p) => `${p.file.slice(dir.length + 1)}: ${p.message}`);
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { proxies: Record<string, unknown>; variants?: Record<string, Record<string, unknown>> };

test("the good directory loads", async () => {
  const r = await readBuildDir(good);
  assert.ok(r.ok);
  assert.equal(r.snapshot.proxies.size, 6);
});

test("a FIFO, a device through a symlink, a symlink out of the directory: refused at once, nothing read", async () => {
  const fifo = damaged((d) => {
    rmSync(join(d, "svc-0001", "rds.json"));
    assert.equal(spawnSync("mkfifo", [join(d, "svc-0001", "rds.json")]).status, 0);
  });
  assert.deepEqual(await problemsOf(fifo), ["svc-0001/rds.json: a FIFO"]);
  const zero = damaged((d) => {
    rmSync(join(d, "svc-0001", "rds.json"));
    symlinkSync("/dev/zero", join(d, "svc-0001", "rds.json"));
  });
  assert.deepEqual(await problemsOf(zero), ["svc-0001/rds.json: a symbolic link (only regular files are read)"]);
  const manifestFifo = damaged((d) => {
    rmSync(join(d, "manifest.json"));
    assert.equal(spawnSync("mkfifo", [join(d, "manifest.json")]).status, 0);
  });
  assert.deepEqual(await problemsOf(manifestFifo), ["manifest.json: manifest.json: a FIFO"]);
  // A file elsewhere, linked in: not read, so none of its content can reach a message.
  const secret = join(root, "secret.txt");
  writeFileSync(secret, "TOKEN=hunter2-do-not-print");
  const out = damaged((d) => {
    rmSync(join(d, "svc-0002", "cds.json"));
    symlinkSync(secret, join(d, "svc-0002", "cds.json"));
  });
  assert.deepEqual(await problemsOf(out), ["svc-0002/cds.json: a symbolic link (only regular files are read)"]);
  // A proxy folder that is a symlink (to a real build's folder) is refused too, not silently dropped.
  const linked = damaged((d) => {
    rmSync(join(d, "svc-0003"), { recursive: true });
    symlinkSync(join(good, "svc-0003"), join(d, "svc-0003"));
  });
  assert.deepEqual(await problemsOf(linked), ["svc-0003: a symbolic link (only folders are read)"]);
});

test("a file larger than the limit is refused as such, not as missing; no content of a bad file is echoed", async () => {
  const big = damaged((d) => truncateSync(join(d, "svc-0001", "rds.json"), 65 << 20));
  assert.deepEqual(await problemsOf(big), ["svc-0001/rds.json: larger than 64 MiB"]);
  const text = damaged((d) => writeFileSync(join(d, "svc-0001", "rds.json"), "IS_SANDBOX=1\nTOKEN=hunter2"));
  const [p] = await problemsOf(text);
  assert.match(p!, /^svc-0001\/rds.json: invalid JSON/);
  assert.doesNotMatch(p!, /SANDBOX|hunter2|TOKEN/);
  const nul = damaged((d) => writeFileSync(join(d, "svc-0001", "rds.json"), "null"));
  assert.equal((await problemsOf(nul))[0], "svc-0001/rds.json: expected a DiscoveryResponse with type_url type.googleapis.com/envoy.config.route.v3.RouteConfiguration and a resources list");
});

test("nesting beyond the codec's depth is a problem of the file, not an internal error", async () => {
  for (const depth of [60, 20_000]) {
    const deep = damaged((d) => {
      // Written as text: the nesting is in the first resource's metadata.
      const file = join(d, "svc-0001", "lds.json");
      const text = readFileSync(file, "utf8");
      const at = text.indexOf('"name":');
      assert.ok(at > 0);
      writeFileSync(file, `${text.slice(0, at)}"metadata": {"filter_metadata": {"x": {"a": ${"[".repeat(depth)}${"]".repeat(depth)}}}}, ${text.slice(at)}`);
    });
    const problems = await problemsOf(deep);
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^svc-0001\/lds.json: resources\[0\]: /);
  }
});

test("the manifest says which folders are proxies: one listed but missing is reported, a stray folder is not read", async () => {
  const gone = damaged((d) => rmSync(join(d, "svc-0004"), { recursive: true }));
  assert.deepEqual(await problemsOf(gone), ["svc-0004: missing"]);
  const stray = damaged((d) => mkdirSync(join(d, ".git", "objects"), { recursive: true }));
  const r = await readBuildDir(stray);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  const odd = damaged((d) => {
    const m = manifestOf(d);
    m.proxies["../etc"] = {};
    m.variants = { "svc-0001": { "locality:x": 5 } };
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
  });
  assert.deepEqual(await problemsOf(odd), [
    'manifest.json: proxies: "../etc" is not a folder name',
    'manifest.json: variants.svc-0001: "locality:x" is not a variant meshc build writes (a key "instance:…" or "locality:…" with the files that differ)',
  ]);
  const none = damaged((d) => writeFileSync(join(d, "manifest.json"), "null"));
  assert.deepEqual(await problemsOf(none), ['manifest.json: expected an object with "proxies" (the proxies\' folders), as meshc build writes it']);
});

test("counts are bounded: variants per proxy, problems per load; many variants load in linear time", async () => {
  const many = damaged((d) => {
    const m = manifestOf(d);
    m.variants = { "svc-0001": Object.fromEntries(Array.from({ length: MAX_PROXY_VARIANTS + 1 }, (_, i) => [`instance:i${i}`, {}])) };
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
  });
  assert.deepEqual(await problemsOf(many), [`manifest.json: variants.svc-0001: ${MAX_PROXY_VARIANTS + 1} variants, more than ${MAX_PROXY_VARIANTS}`]);
  // 5,000 listed proxies without folders: the first MAX_PROBLEMS are listed, then one line for the rest.
  const missing = damaged((d) => {
    const m = manifestOf(d);
    for (let i = 0; i < 5000; i++) m.proxies[`gone-${i}`] = {};
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
  });
  const problems = await problemsOf(missing);
  assert.equal(problems.length, MAX_PROBLEMS + 1);
  assert.match(problems.at(-1)!, /and more problems, not listed/);
  // 10,000 empty variants (the service's own files): loaded, each its own map entry, without copying per variant.
  const empty = damaged((d) => {
    const m = manifestOf(d);
    m.variants = { "svc-0001": Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`instance:i${i}`, {}])) };
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
  });
  const r = await new BuildDirReader().read(empty);
  assert.ok(r.ok);
  assert.equal(r.snapshot.proxies.get("svc-0001")!.variants!.size, 10_000);
});

test("an index entry naming one resource many times is not believed (full validation instead)", async () => {
  const forged = damaged((d) => {
    const index = JSON.parse(readFileSync(join(d, "encoded.json"), "utf8")) as { files: Record<string, [string, number[]]> };
    const entry = index.files["svc-0001/rds.json"]!;
    entry[1] = Array.from({ length: 100_000 }, () => entry[1][0]!);
    writeFileSync(join(d, "encoded.json"), JSON.stringify(index));
  });
  const r = await readBuildDir(forged);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.equal(r.stats.indexed, r.stats.files - 1, "every file but the forged one's came from the index");
});

test("an index whose bytes are not the named resource's (garbage, or another resource's) is not believed", async () => {
  type Index = { files: Record<string, [string, number[]]>; resources: [string, string, string][] };
  const forge = (how: (index: Index, id: number) => void) =>
    damaged((d) => {
      const index = JSON.parse(readFileSync(join(d, "encoded.json"), "utf8")) as Index;
      how(index, index.files["svc-0001/cds.json"]![1][0]!);
      writeFileSync(join(d, "encoded.json"), JSON.stringify(index));
    });
  const goodLoad = await readBuildDir(good);
  assert.ok(goodLoad.ok);
  const clusters = (r: Awaited<ReturnType<typeof readBuildDir>>) => (r.ok ? r.snapshot.proxies.get("svc-0001")!.resources.cluster.map((c) => Buffer.from(c.bytes).toString("hex")) : []);
  const garbage = forge((index, id) => (index.resources[id]![2] = Buffer.from([0xff, 0xff, 0xff, 0xff]).toString("base64")));
  // Another cluster's bytes under this one's name (two entries would claim one name; Envoy refuses duplicates).
  const other = forge((index, id) => {
    const another = index.resources.findIndex((e, i) => i !== id && e[0] === "cluster");
    index.resources[id]![2] = index.resources[another]![2];
  });
  for (const dir of [garbage, other]) {
    const r = await readBuildDir(dir);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
    assert.ok(r.stats.indexed < r.stats.files, "some file was validated in full");
    assert.deepEqual(clusters(r), clusters(goodLoad), "what is served is what the JSON says");
  }
});

test("framedWithName: whole fields, the name first", () => {
  const name = Buffer.from("web");
  const ok = Uint8Array.from([0x0a, name.length, ...name, 0x10, 0x01, 0x1d, 1, 2, 3, 4]);
  assert.equal(framedWithName(ok, "web"), true);
  assert.equal(framedWithName(ok, "api"), false, "another name");
  assert.equal(framedWithName(ok.subarray(0, ok.length - 1), "web"), false, "a field cut short");
  assert.equal(framedWithName(Uint8Array.from([...ok, 0x0b]), "web"), false, "a group (wire type 3)");
  assert.equal(framedWithName(Uint8Array.from([0x10, 0x01, 0x0a, name.length, ...name]), "web"), false, "the name not first");
  assert.equal(framedWithName(Uint8Array.from([...ok, 0x02, 0x00]), "web"), false, "field number 0");
  assert.equal(framedWithName(Uint8Array.from([...ok, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00]), "web"), false, "field number 2^29");
  assert.equal(framedWithName(new Uint8Array(0), "web"), false);
  assert.equal(framedWithName(Uint8Array.from([0xff, 0xff, 0xff, 0xff]), "web"), false);
});

type Index = { files: Record<string, [string, number[]]>; resources: [string, string, string][] };

/**
 * Forges svc-0001/cds.json's first cluster in encoded.json to `bytes(original)`, with the file's version_info and the
 * index's digest for it made to match (what a forger who can write the directory can do).
 */
function forgedIndex(dir: string, bytes: (original: Buffer) => Buffer): void {
  const index = JSON.parse(readFileSync(join(dir, "encoded.json"), "utf8")) as Index;
  const rel = "svc-0001/cds.json";
  const [, refs] = index.files[rel]!;
  const e = index.resources[refs[0]!]!;
  e[2] = bytes(Buffer.from(e[2], "base64")).toString("base64");
  const list = refs.map((id) => {
    const b = Buffer.from(index.resources[id]![2], "base64");
    return { name: index.resources[id]![1], typeUrl: "", bytes: b, hash: contentHash(b) };
  });
  const file = join(dir, rel);
  const text = readFileSync(file, "utf8").replace(/"version_info": "[0-9a-f]*"/, `"version_info": "${versionOf(list)}"`);
  writeFileSync(file, text);
  index.files[rel]![0] = sha256(text, "base64");
  writeFileSync(join(dir, "encoded.json"), JSON.stringify(index));
}

const field = (n: number, b: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2, b.length]), b]);

test("the index's name check: a second name field (a decoder keeps the last) is not believed", async () => {
  const dir = damaged((d) => forgedIndex(d, (b) => Buffer.concat([b, field(1, Buffer.from("svc-0002"))])));
  const r = await readBuildDir(dir);
  assert.ok(r.ok);
  assert.ok(r.stats.indexed < r.stats.files, "the forged file was validated in full");
  const goodLoad = await readBuildDir(good);
  assert.ok(goodLoad.ok);
  assert.deepEqual(r.snapshot.proxies.get("svc-0001")!.resources.cluster.map((c) => c.hash), goodLoad.snapshot.proxies.get("svc-0001")!.resources.cluster.map((c) => c.hash));
});

test("meshc diff: indexed bytes that frame well but do not decode are a damaged input (exit 2), not an internal error", () => {
  // connect_timeout (field 4, a Duration) holding bytes that are no Duration.
  const dir = damaged((d) => forgedIndex(d, (b) => Buffer.concat([b, field(4, Buffer.from([0xff, 0xff]))])));
  const main = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", main, "diff", good, dir], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^meshc diff: Cluster "[^"]+": its encoded bytes \(encoded.json\) do not decode/m);
  assert.doesNotMatch(r.stderr, /internal error|    at /);
});

test("a proxy named like an Object.prototype member (constructor, toString) loads", async () => {
  const dir = damaged((d) => {
    const m = manifestOf(d);
    for (const [from, to] of [["svc-0004", "constructor"], ["svc-0005", "toString"]] as const) {
      cpSync(join(d, from), join(d, to), { recursive: true });
      rmSync(join(d, from), { recursive: true });
      m.proxies[to] = m.proxies[from];
      delete m.proxies[from];
      if (m.variants?.[from]) {
        m.variants[to] = m.variants[from]!;
        delete m.variants[from];
      }
    }
    writeFileSync(join(d, "manifest.json"), JSON.stringify(m));
    rmSync(join(d, "encoded.json"));
  });
  const r = await readBuildDir(dir);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  assert.ok(r.snapshot.proxies.has("constructor") && r.snapshot.proxies.has("toString"));
});

test("warm start: a FIFO or a device for state.json or the stored manifest is a problem, found at once", async () => {
  for (const where of ["state.json", "snapshot/manifest.json"]) {
    const dir = join(root, `state-${where.replace("/", "-")}`);
    mkdirSync(join(dir, "snapshot"), { recursive: true });
    if (where !== "state.json") writeFileSync(join(dir, "state.json"), JSON.stringify({ format: 1, source: "/x/mesh.ts", compiledAt: "2026-01-01T00:00:00Z", manifest: "x" }));
    assert.equal(spawnSync("mkfifo", [join(dir, where)]).status, 0);
    const r = await loadState(dir, "/x/mesh.ts");
    assert.ok(r && "problem" in r && r.problem !== undefined, JSON.stringify(r));
  }
  const dir = join(root, "state-zero");
  mkdirSync(dir, { recursive: true });
  symlinkSync("/dev/zero", join(dir, "state.json"));
  const r = await loadState(dir, "/x/mesh.ts");
  assert.match((r as { problem: string }).problem, /a symbolic link/);
});
