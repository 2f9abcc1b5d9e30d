// The spare tree (src/build/spare.ts): `meshc build` keeps the tree a swap replaced beside --out and updates it in
// place on the next build. Whatever the spare holds, the new --out must be byte-identical to a full render, with no
// file or folder more; no build may change a tree another build produced (hard links shared between trees); a build
// that fails or never opens leaves --out (and the spare, when nothing was written) as they were.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { syntheticMesh } from "../../bench/synthetic-ir.js";
import { translateMesh } from "../../src/backends/envoy/translate.js";
import { BuildPlanner, planBuild, type BuildSink } from "../../src/build/incremental.js";
import { ENCODED_INDEX, withEncodedIndex } from "../../src/build/encoded-index.js";
import { MANIFEST, renderBuild } from "../../src/build/render.js";
import { openBuildDir, prepareBuildDir } from "../../src/build/write.js";
import { spareName } from "../../src/build/spare.js";

const tmp = mkdtempSync(join(tmpdir(), "meshc-spare-"));

/** Why the swap-failure test cannot run here (it needs chattr +i, i.e. root on a file system with attributes), if so. */
function chattrSkip(): string | false {
  const probe = join(tmp, "chattr-probe");
  mkdirSync(probe, { recursive: true });
  const ok = spawnSync("chattr", ["+i", probe]).status === 0;
  spawnSync("chattr", ["-i", probe]);
  return ok ? false : "chattr +i is not available here (needs root and a file system with inode attributes)";
}
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file (relative path -> bytes as latin1) and every folder ("dir/" entries) under `dir`. */
function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) {
        out.set(`${rel}${e.name}/`, "");
        walk(join(d, e.name), `${rel}${e.name}/`);
      } else out.set(`${rel}${e.name}`, readFileSync(join(d, e.name), "latin1"));
    }
  };
  walk(dir, "");
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The spare's listing without the .gitignore that marks it (checked to be there). */
function spareListing(out: string): Map<string, string> {
  const l = listing(spareName(out));
  assert.match(l.get(".gitignore") ?? "", /^\*$/m, "the spare holds a .gitignore of *");
  l.delete(".gitignore");
  return l;
}

/** The listing a tree of exactly these files has (their folders included). */
function expectedListing(files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [rel, text] of files) {
    out.set(rel, Buffer.from(text, "utf8").toString("latin1"));
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) out.set(`${parts.slice(0, i).join("/")}/`, "");
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

interface Variant {
  services: number;
  timeoutOfSvc3?: number;
  failover?: boolean;
}

function compiled(v: Variant) {
  const ir = syntheticMesh({ services: v.services, failover: v.failover ?? false });
  if (v.timeoutOfSvc3 !== undefined) ir.services[3]!.policy.connectTimeoutMs = v.timeoutOfSvc3;
  const r = translateMesh(ir);
  assert.deepEqual(r.issues, []);
  return { name: ir.name, snapshot: r.snapshot };
}

/** One build into `out` the way `meshc build` does it: prepared writer (spare claimed), planBuild with the sink. */
async function build(out: string, v: Variant): Promise<Map<string, string>> {
  const c = compiled(v);
  const w = await prepareBuildDir(out, { retire: "spare" }).open();
  await planBuild(out, c.name, c.snapshot, undefined, w);
  await w.commit();
  return withEncodedIndex(renderBuild(c.name, c.snapshot), c.snapshot);
}

/** What `meshc build` does while it translates: a planner on `w` handed every proxy of `c` (files go to the writer). */
async function streamed(out: string, c: ReturnType<typeof compiled>, w: BuildSink): Promise<BuildPlanner> {
  const planner = await BuildPlanner.start(out, w);
  for (const name of [...c.snapshot.proxies.keys()].sort()) planner.proxy(c.snapshot.proxies.get(name)!);
  return planner;
}

/** The listing of a fresh build of `c`. */
const freshListing = (c: ReturnType<typeof compiled>) => expectedListing(withEncodedIndex(renderBuild(c.name, c.snapshot), c.snapshot));

/** Changes a file's connect timeout: in place (same inode), or by writing a new file over it. */
function editTimeout(file: string, how: "in-place" | "replace" = "in-place"): void {
  const text = readFileSync(file, "utf8");
  const edited = text.replace(/"connect_timeout": "[^"]*"/, '"connect_timeout": "9.999s"');
  assert.notEqual(edited, text);
  if (how === "in-place") return writeFileSync(file, edited);
  writeFileSync(`${file}.new`, edited);
  renameSync(`${file}.new`, file);
}

/** A temp tree beside `dir`/out of a build whose process no longer runs. */
function deadBuildTree(dir: string): void {
  const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout;
  mkdirSync(join(dir, `.out.tmp-${dead}-0a0b0c0d`, "svc-0000"), { recursive: true });
}

describe("spare tree: meshc build's writer", () => {
  test("a sequence of builds: every --out is exactly a full render, the spare exactly the build before", async () => {
    const out = join(tmp, "seq", "out");
    // Services added and removed (whole folders), locality variants on and off (nested folders), a policy changed
    // back and forth (files equal to the spare's, to the current --out's, or to neither).
    const steps: Variant[] = [
      { services: 12 },
      { services: 12, timeoutOfSvc3: 901 },
      { services: 12, timeoutOfSvc3: 902 },
      { services: 12, timeoutOfSvc3: 901 },
      { services: 15, failover: true },
      { services: 9, failover: true, timeoutOfSvc3: 903 },
      { services: 9 },
      { services: 14, failover: true },
      { services: 14, failover: true },
      { services: 12 },
    ];
    let before: Map<string, string> | undefined;
    for (const [i, v] of steps.entries()) {
      const files = await build(out, v);
      assert.deepEqual(listing(out), expectedListing(files), `step ${i}: --out is not exactly the full render`);
      if (before) assert.deepEqual(spareListing(out), before, `step ${i}: the spare is not exactly the previous --out`);
      else assert.ok(!existsSync(spareName(out)), "no spare after the first build");
      before = listing(out);
      assert.deepEqual(readdirSync(join(tmp, "seq")).sort(), i === 0 ? ["out"] : [".out.spare", "out"], `step ${i}: nothing else beside --out`);
    }
  });

  test("a file edited by hand and a stray file in a tree that becomes the spare are not carried into a later build", async () => {
    const out = join(tmp, "hand", "out");
    await build(out, { services: 10 });
    const b = await build(out, { services: 10, timeoutOfSvc3: 950 });
    // --out (b) is edited by hand: one file changed in place (it may share its inode with the spare), one file added.
    const edited = "svc-0001/eds.json";
    writeFileSync(join(out, edited), readFileSync(join(out, edited), "utf8").replace(/10\./g, "11."));
    const later = new Date(statSync(join(out, MANIFEST)).mtimeMs + 5000);
    utimesSync(join(out, edited), later, later);
    writeFileSync(join(out, "svc-0002", "notes.txt"), "mine");
    mkdirSync(join(out, "svc-0004", "extra"));
    // c: the edited tree becomes the spare; d (b's content again) is written into it.
    const c = await build(out, { services: 10, timeoutOfSvc3: 951 });
    assert.deepEqual(listing(out), expectedListing(c));
    const d = await build(out, { services: 10, timeoutOfSvc3: 950 });
    assert.deepEqual(listing(out), expectedListing(d), "the edited file is written again, the stray file and folder are gone");
    assert.deepEqual(d, b);
  });

  test("no build changes a tree another build produced (files shared by hard links are replaced, not written through)", async () => {
    const out = join(tmp, "links", "out");
    const seen: Map<string, string>[] = [];
    for (const t of [700, 701, 702, 701, 700, 703]) {
      await build(out, { services: 10, timeoutOfSvc3: t });
      seen.push(listing(out));
      // The tree before the previous one is the spare now, and the next build writes into it: the current --out must not change.
      if (seen.length >= 2) assert.deepEqual(spareListing(out), seen.at(-2));
    }
    // Each --out, while it was --out, stayed what it was through the following build (checked as the spare above);
    // and the final --out is still exactly the last listing after one more build writes into the spare.
    const last = listing(out);
    await build(out, { services: 10, timeoutOfSvc3: 704 });
    assert.deepEqual(spareListing(out), last);
  });

  test("a spare whose index is missing or unreadable is written over in full, not trusted", async () => {
    const out = join(tmp, "index", "out");
    await build(out, { services: 8 });
    await build(out, { services: 8, timeoutOfSvc3: 960 });
    writeFileSync(join(spareName(out), ENCODED_INDEX), "{not json");
    const files = await build(out, { services: 8 });
    assert.deepEqual(listing(out), expectedListing(files));
    const again = await build(out, { services: 8, timeoutOfSvc3: 960 });
    assert.deepEqual(listing(out), expectedListing(again));
  });

  test("git does not list the spare in a repository that ignores only --out", () => {
    const repo = join(tmp, "git");
    mkdirSync(repo, { recursive: true });
    const git = (...args: string[]) => spawnSync("git", ["-C", repo, ...args], { encoding: "utf8" });
    assert.equal(git("init", "-q").status, 0);
    writeFileSync(join(repo, ".gitignore"), "out/\n");
    return (async () => {
      await build(join(repo, "out"), { services: 5 });
      await build(join(repo, "out"), { services: 5, timeoutOfSvc3: 930 });
      assert.ok(existsSync(spareName(join(repo, "out"))));
      const st = git("status", "--porcelain", "--untracked-files=all");
      assert.equal(st.status, 0, st.stderr);
      assert.deepEqual(st.stdout.trim().split("\n"), ["?? .gitignore"]);
    })();
  });

  test("a writer released without opening puts the spare back untouched; an aborted one leaves --out as it was", async () => {
    const dir = join(tmp, "release");
    const out = join(dir, "out");
    await build(out, { services: 6 });
    await build(out, { services: 6, timeoutOfSvc3: 970 });
    const spare = spareListing(out);
    const current = listing(out);
    await prepareBuildDir(out, { retire: "spare" }).release();
    assert.deepEqual(spareListing(out), spare);
    assert.deepEqual(readdirSync(dir).sort(), [".out.spare", "out"]);
    // Opened, written into, aborted (a build that failed after its files were written): --out unchanged; the
    // half-updated spare goes back without its index, so none of its files is trusted any more.
    const w = await prepareBuildDir(out, { retire: "spare" }).open();
    w.write("svc-0001/cds.json", "[]\n");
    await w.digests();
    await w.abort();
    assert.deepEqual(listing(out), current);
    assert.deepEqual(readdirSync(dir).sort(), [".out.spare", "out"]);
    assert.equal(existsSync(join(spareName(out), ENCODED_INDEX)), false);
    assert.equal(readFileSync(join(spareName(out), "svc-0001", "cds.json"), "utf8"), "[]\n");
    // And the next builds, from that spare, still produce the exact trees.
    const files = await build(out, { services: 6 });
    assert.deepEqual(listing(out), expectedListing(files));
    const again = await build(out, { services: 6, timeoutOfSvc3: 971 });
    assert.deepEqual(listing(out), expectedListing(again));
  });

  test("a previous build's file that changes after it was planned is rendered, not linked (replaced, or rewritten in place)", async () => {
    // meshc build plans links while it translates and the writer makes them later (the last batch after the type
    // check): another build swapped in meanwhile, or a hand edit, must not end up in this build's tree.
    for (const how of ["replace", "in-place"] as const) {
      const out = join(tmp, `stale-${how}`, "out");
      await build(out, { services: 6 });
      const c = compiled({ services: 6 }); // the same mesh: every file is linked from --out (no spare)
      const w = await openBuildDir(out, { retire: "detach" });
      const planner = await streamed(out, c, w);
      // 24 links: all still in the writer's first batch (32), so each is linked after this edit.
      const rel = `${[...c.snapshot.proxies.keys()].sort().at(-1)}/cds.json`;
      editTimeout(join(out, rel), how);
      const plan = await planner.finish(c.name, c.snapshot);
      await w.commit();
      assert.deepEqual(listing(out), freshListing(c));
      assert.equal(plan.reuse.has(rel), false);
      assert.equal(plan.reuse.size, 23);
    }
  });

  test("a linked file of --out edited in place after it was linked: rendered again, or the commit fails", async () => {
    // A link shares its inode with --out's file, and since files are written while the type check runs, the link
    // can be made well before the swap: an edit of --out in place meanwhile would change the new tree too.
    const out = join(tmp, "edit-in-place", "out");
    await build(out, { services: 6 });
    const c = compiled({ services: 6 });
    let w = await openBuildDir(out, { retire: "detach" });
    let planner = await streamed(out, c, w);
    await w.digests(); // every link made (and vetted) now
    editTimeout(join(out, "svc-0002/cds.json"));
    const plan = await planner.finish(c.name, c.snapshot);
    await w.commit();
    assert.deepEqual(listing(out), freshListing(c));
    assert.equal(plan.reuse.has("svc-0002/cds.json"), false);
    // Edited after the planner's last look: too late to render, so the commit fails and --out stays as it is.
    w = await openBuildDir(out, { retire: "detach" });
    planner = await BuildPlanner.start(out, w);
    await planner.finish(c.name, c.snapshot);
    editTimeout(join(out, "svc-0004/cds.json"));
    const before = listing(out);
    await assert.rejects(w.commit(), /changed while this one ran/);
    assert.deepEqual(listing(out), before);
    // (The first build's replaced tree goes by a detached remover: waited for.)
    const dir = join(tmp, "edit-in-place");
    for (let i = 0; i < 600 && readdirSync(dir).length > 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(dir), ["out"]);
  });

  test("a spare's file that shares its inode with --out is not kept for a rendered file", async () => {
    // The second build links every file, so --out and the spare share inodes; without --out's encoded.json the next
    // build renders every file, and the spare holds equal ones: kept, an edit of --out in place would reach them.
    const out = join(tmp, "shared-spare", "out");
    await build(out, { services: 6 });
    await build(out, { services: 6 });
    rmSync(join(out, ENCODED_INDEX));
    const c = compiled({ services: 6 });
    const w = await prepareBuildDir(out, { retire: "spare" }).open();
    const planner = await streamed(out, c, w);
    await w.digests();
    editTimeout(join(out, "svc-0001", "cds.json"));
    const plan = await planner.finish(c.name, c.snapshot);
    await w.commit();
    assert.equal(plan.reuse.size, 0);
    assert.deepEqual(listing(out), freshListing(c));
  });

  test("a file planned as a link that is gone when linked is rendered", async () => {
    const out = join(tmp, "gone", "out");
    await build(out, { services: 6 });
    const c = compiled({ services: 6 });
    const w = await openBuildDir(out, { retire: "detach" });
    const planner = await streamed(out, c, w);
    rmSync(join(out, "svc-0005", "lds.json")); // say another build swapped in a tree without it
    const plan = await planner.finish(c.name, c.snapshot);
    await w.commit();
    assert.equal(plan.reuse.has("svc-0005/lds.json"), false);
    assert.deepEqual(listing(out), freshListing(c));
  });

  test("an abort or release while another is under way waits for it", async () => {
    const dir = join(tmp, "double-abort");
    const out = join(dir, "out");
    await build(out, { services: 6 });
    const prepared = prepareBuildDir(out, { retire: "detach" });
    const w = await prepared.open();
    await streamed(out, compiled({ services: 6, timeoutOfSvc3: 977 }), w);
    await w.digests();
    const first = w.abort();
    await prepared.release(); // a Ctrl-C during the abort: must not return before the temp tree is gone
    assert.deepEqual(readdirSync(dir), ["out"]);
    await first;
  });

  test("a swap that fails leaves no temp tree and puts the spare back", { skip: chattrSkip() }, async () => {
    const dir = join(tmp, "swap-fails");
    const out = join(dir, "out");
    await build(out, { services: 4 });
    await build(out, { services: 4, timeoutOfSvc3: 981 });
    const current = listing(out);
    // An immutable --out cannot be renamed aside: the swap's first rename fails.
    assert.equal(spawnSync("chattr", ["+i", out]).status, 0);
    try {
      const c = compiled({ services: 4, timeoutOfSvc3: 982 });
      const w = await prepareBuildDir(out, { retire: "spare" }).open();
      await planBuild(out, c.name, c.snapshot, undefined, w);
      await assert.rejects(w.commit());
    } finally {
      spawnSync("chattr", ["-i", out]);
    }
    assert.deepEqual(listing(out), current);
    assert.deepEqual(readdirSync(dir).sort(), [".out.spare", "out"]);
    const files = await build(out, { services: 4, timeoutOfSvc3: 983 });
    assert.deepEqual(listing(out), expectedListing(files));
  });

  test("--no-spare builds sweep temp trees of builds that no longer run too", async () => {
    const dir = join(tmp, "sweep-detach");
    const out = join(dir, "out");
    await build(out, { services: 4 });
    deadBuildTree(dir);
    const c = compiled({ services: 4, timeoutOfSvc3: 991 });
    const w = await openBuildDir(out, { retire: "detach" });
    await planBuild(out, c.name, c.snapshot, undefined, w);
    await w.commit();
    for (let i = 0; i < 600 && readdirSync(dir).length > 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(dir), ["out"]);
  });

  test("the tree of a build that was killed becomes the next build's spare when there is none; none of its files is trusted", async () => {
    const dir = join(tmp, "reclaim");
    const out = join(dir, "out");
    await build(out, { services: 6 });
    await build(out, { services: 6, timeoutOfSvc3: 970 }); // the first tree becomes the spare
    const current = listing(out);
    // A build that claimed the spare and was killed half way: a folder gone, torn files (new inodes: the spare's
    // unchanged files share theirs with --out), one of them no newer than the index that vouched for it, and a file
    // it linked from --out.
    const dead = join(dir, `.out.tmp-${spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout}-0a0b0c0d`);
    renameSync(spareName(out), dead);
    const torn = (rel: string, text: string) => {
      rmSync(join(dead, rel));
      writeFileSync(join(dead, rel), text);
    };
    rmSync(join(dead, "svc-0001"), { recursive: true });
    torn("svc-0002/cds.json", "{ torn");
    torn("svc-0005/lds.json", "{ torn, but vouched for by the index");
    utimesSync(join(dead, "svc-0005", "lds.json"), 0, 0);
    rmSync(join(dead, "svc-0004", "rds.json"));
    linkSync(join(out, "svc-0004", "rds.json"), join(dead, "svc-0004", "rds.json"));
    const folder = statSync(join(dead, "svc-0000")).ino;
    const files = await build(out, { services: 6, timeoutOfSvc3: 971 });
    assert.deepEqual(listing(out), expectedListing(files), "--out is exactly a full render");
    assert.equal(statSync(join(out, "svc-0000")).ino, folder, "the killed build's folders were reused");
    assert.deepEqual(spareListing(out), current, "the replaced --out is the spare, its files unchanged");
    assert.deepEqual(readdirSync(dir).sort(), [".out.spare", "out"]);
  });

  test("a failed write leaves --out as it was", async () => {
    const out = join(tmp, "fail", "out");
    await build(out, { services: 6 });
    await build(out, { services: 6, timeoutOfSvc3: 980 });
    const current = listing(out);
    const w = await prepareBuildDir(out, { retire: "spare" }).open();
    w.write("a", "1");
    w.write("a/b.json", "2"); // "a" is a file: this write fails on the thread
    await assert.rejects(w.commit());
    assert.deepEqual(listing(out), current);
  });

  test("temp trees of builds that no longer run are swept; a live build's is not", async () => {
    const dir = join(tmp, "sweep");
    const out = join(dir, "out");
    await build(out, { services: 4 });
    deadBuildTree(dir);
    mkdirSync(join(dir, `.out.tmp-${process.pid}-0a0b0c0d`));
    mkdirSync(join(dir, ".out.tmp-AbC123")); // an older meshc's name: no pid, left alone
    await build(out, { services: 4, timeoutOfSvc3: 990 });
    const want = [".out.spare", `.out.tmp-${process.pid}-0a0b0c0d`, ".out.tmp-AbC123", "out"].sort();
    for (let i = 0; i < 600 && readdirSync(dir).sort().join() !== want.join(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(dir).sort(), want);
  });

  test("when another build's spare is there already at the swap, the replaced tree is removed instead", async () => {
    const dir = join(tmp, "race");
    const out = join(dir, "out");
    await build(out, { services: 4 });
    const w = await openBuildDir(out, { retire: "spare" });
    // Meanwhile a spare appears (another build's swap).
    mkdirSync(join(spareName(out), "x"), { recursive: true });
    writeFileSync(join(spareName(out), "x", "y"), "other");
    const c = compiled({ services: 4, timeoutOfSvc3: 995 });
    await planBuild(out, c.name, c.snapshot, undefined, w);
    await w.commit();
    assert.deepEqual(listing(out), freshListing(c));
    assert.equal(readFileSync(join(spareName(out), "x", "y"), "utf8"), "other", "the other build's spare is not touched");
    for (let i = 0; i < 600 && readdirSync(dir).length > 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(readdirSync(dir).sort(), [".out.spare", "out"]);
  });

  test("a symlinked --out or spare is never written through: what it points at stays as it was", async () => {
    const dir = join(tmp, "symlinks");
    const real = join(dir, "real");
    await build(real, { services: 5 });
    const realBefore = listing(real);
    const out = join(dir, "out");
    symlinkSync(real, out);
    const a = await build(out, { services: 5, timeoutOfSvc3: 910 });
    const b = await build(out, { services: 5, timeoutOfSvc3: 911 });
    assert.deepEqual(listing(out), expectedListing(b));
    assert.ok(lstatSync(out).isDirectory(), "--out is a real folder after the swap");
    assert.deepEqual(spareListing(out), expectedListing(a));
    // A spare that is a symlink (to a build) is not claimed: the next build neither writes into it nor keeps it.
    rmSync(spareName(out), { recursive: true });
    symlinkSync(real, spareName(out));
    const c = await build(out, { services: 5, timeoutOfSvc3: 912 });
    assert.deepEqual(listing(out), expectedListing(c));
    for (let i = 0; i < 600 && readdirSync(dir).length > 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(listing(real), realBefore, "the symlinks' target never changed");
    assert.ok(lstatSync(spareName(out)).isSymbolicLink(), "the symlinked spare is left as it was");
  });

  test("a writer that cannot create its temp tree rejects, and its thread does not keep the process alive", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "not a folder");
    const code = `import(${JSON.stringify(new URL("../../src/build/write.ts", import.meta.url).href)}).then((m) => m.openBuildDir(process.argv[1])).then(() => console.log("opened"), (e) => console.log("rejected " + e.code))`;
    for (const retire of ["wait", "spare"]) {
      const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code.replace("openBuildDir(process.argv[1])", `openBuildDir(process.argv[1], { retire: "${retire}" })`), join(file, "out")], { encoding: "utf8", timeout: 30_000 });
      assert.equal(r.signal, null, `${retire}: the process did not exit by itself`);
      assert.match(r.stdout.trim(), /^rejected E[A-Z]+$/, `${retire}: ${r.stderr}`);
    }
  });

  test("the spare's files whose digests match are kept as they are (none rewritten for nothing)", async () => {
    const out = join(tmp, "kept", "out");
    await build(out, { services: 10 });
    await build(out, { services: 10, timeoutOfSvc3: 940 });
    const inodes = new Map([...spareListing(out).keys()].filter((r) => !r.endsWith("/")).map((r) => [r, statSync(join(spareName(out), r)).ino]));
    const mtimes = new Map([...inodes.keys()].map((r) => [r, statSync(join(spareName(out), r)).mtimeMs]));
    await build(out, { services: 10 }); // the spare's content again: files changed since are rendered, and kept
    let kept = 0;
    for (const [rel, ino] of inodes) {
      if (rel === MANIFEST || rel === ENCODED_INDEX) continue;
      const s = statSync(join(out, rel));
      if (s.ino === ino && s.mtimeMs === mtimes.get(rel)) kept++;
    }
    assert.equal(kept, inodes.size - 2, "every proxy file equal to the spare's is kept as it was (same inode, same mtime)");
  });
});
