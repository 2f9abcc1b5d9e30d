// The invalid-mesh corpus (test/golden/corpus/<case>/mesh.ts plus the modules it imports). Each case marks the
// findings it expects in its own source, `// expect: MESH0101` at the end of the offending line (or
// `// expect-next-line: MESH0101` above it). For every case the real CLI runs in a subprocess,
// `node dist/cli.js build <case>/mesh.ts --out <dir> --format json`, over a copy of a previous good build
// (examples/shop), and the test requires:
//   - exit 1 (a case whose findings are all warnings: exit 0, and exit 1 again with --strict);
//   - the diagnostics (JSON; `build` prints machine formats on stdout) to be exactly the marked (code, file, line) multiset;
//   - every diagnostic to carry a column, a message and a hint, with its code's registered severity;
//   - a failed build to leave the output directory byte-for-byte as it was (and no temp directory beside it).
// Plus: the corpus is large enough, and every code reachable from the DSL is expected by at least one case.
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { listCodes } from "../../src/analysis/codes.js";
import type { Diagnostic } from "../../src/diagnostics/types.js";
import { expectedFindings, findingKey, hashDir, pool, runNode, type Finding, type RunResult } from "./corpus-lib.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CORPUS = join(REPO, "test", "golden", "corpus");
const CLI = join(REPO, "dist", "cli.js");
const MIN_CASES = 25;
const CONCURRENCY = 2; // the machine has 2 cores

/** Registered codes no mesh.ts can produce, and why. Every other code must be expected by some case. */
const UNREACHABLE: Record<string, string> = {
  MESH0803: "a registry entry's problem, reported by `meshc serve` while it watches etcd: test/e2e/registry.test.ts expects it",
  MESH0804: "a registry outage, reported by `meshc serve` while etcd is down: test/e2e/registry.test.ts stops etcd and reads /readyz",
  MESH1001: "a *.mesh.test.ts code (meshc test), not a mesh.ts one: test/testing/meshc-test.test.ts expects it",
  MESH1002: "a *.mesh.test.ts code (meshc test), not a mesh.ts one: test/testing/meshc-test.test.ts expects it",
  MESH1003: "a *.mesh.test.ts code (meshc test), not a mesh.ts one: test/testing/meshc-test.test.ts expects it",
  MESH1004: "a *.mesh.test.ts code (meshc test), not a mesh.ts one: test/testing/meshc-test.test.ts expects it",
  MESH0202:
    "ports are an object keyed by port name: a repeated key in an object literal is a TypeScript error (TS1117, " +
    "so MESH0001), and at run time one key holds one port, so lowering never produces two ports with one name",
  MESH0205:
    "subsets are an object keyed by subset name: a repeated key is TS1117 (MESH0001), and at run time one key holds " +
    "one subset, so lowering never produces two subsets with one name",
  MESH0901:
    "marks a meshc bug: analysis is meant to reject everything the Envoy backend, Envoy's schema or the snapshot " +
    "consistency check would refuse, so a mesh reaching it is a bug report, not a corpus case",
  MESH0340:
    "reported only by `check --envoy`/`build --envoy` when the real Envoy refuses a proxy that analysis passed (a " +
    "rule analysis does not know yet); covered with the real Envoy by test/cli/envoy-gate.test.ts",
  MESH0341: "reported only by `--envoy` when Envoy is missing or gives no verdict; covered by test/cli/envoy-gate.test.ts (R22)",
  MESH0902: "reported by `meshc serve <dir>` when it reads a build directory, never while compiling a mesh",
  MESH0903: "reported by `meshc serve` when the snapshot stored for a warm start cannot be served, never while compiling a mesh (test/serve/warm-start.test.ts)",
  MESH0910: "reported by `meshc serve --workers` when an xDS worker process dies, never while compiling a mesh (test/serve/workers.test.ts)",
  MESH0505: "reported by `meshc serve` and `meshc bootstrap --static` when a mesh with mTLS comes without --ca, never while compiling a mesh",
  MESH0242: "listed only under --strict (a patch that changed something is not a finding otherwise), and the corpus runs --strict only for warning-only cases: test/patch/cli.test.ts builds with --strict",
};

const REGISTRY = new Map(listCodes().map((c) => [c.code, c]));

interface Case {
  name: string;
  dir: string;
  expected: Finding[];
  /** Every expected finding is a warning: the build passes, and fails only with --strict. */
  warningOnly: boolean;
}

interface Run {
  strict: boolean;
  result: RunResult;
  /** Parsed JSON diagnostics, or why they could not be parsed. */
  diagnostics: Diagnostic[] | { unparsable: string };
  out: string;
  before: { hash: string; siblings: string[] };
  after: { hash: string | undefined; siblings: string[] };
}

const cases: Case[] = readdirSync(CORPUS)
  .sort()
  .filter((name) => statSync(join(CORPUS, name)).isDirectory() && existsSync(join(CORPUS, name, "mesh.ts")))
  .map((name) => {
    const dir = join(CORPUS, name);
    const expected = expectedFindings(dir);
    const warningOnly = expected.length > 0 && expected.every((f) => REGISTRY.get(f.code)?.severity === "warning");
    return { name, dir, expected, warningOnly };
  });

const runs = new Map<string, Run[]>();
let tmp = "";
let shopHash = "";

/** A finding as produced: file relative to the case directory ("<no file>" when the diagnostic has none). */
function produced(c: Case, d: Diagnostic): Finding {
  const file = d.file === undefined ? "<no file>" : relative(c.dir, resolve(REPO, d.file)).split(sep).join("/");
  return { code: d.code, file, line: d.line ?? 0 };
}

async function runCase(c: Case, strict: boolean, shopOut: string): Promise<Run> {
  const work = join(tmp, `${c.name}${strict ? "-strict" : ""}`);
  const out = join(work, "out");
  mkdirSync(work, { recursive: true });
  cpSync(shopOut, out, { recursive: true });
  const beforeState = { hash: hashDir(out), siblings: readdirSync(work).sort() };
  const args = [CLI, "build", join(c.dir, "mesh.ts"), "--out", out, "--format", "json", ...(strict ? ["--strict"] : [])];
  const result = await runNode(args, REPO);
  // A successful build keeps the previous tree as .out.spare, or (when it cannot) hands it to a detached remover as
  // .out.old-* (src/build/retire.ts): wait for that to go (bounded), so the check below still fails on anything a
  // build leaves behind for good.
  for (const end = Date.now() + 30_000; readdirSync(work).some((e) => e.startsWith(".out.old-")) && Date.now() < end; ) await sleep(50);
  const afterState = { hash: existsSync(out) ? hashDir(out) : undefined, siblings: readdirSync(work).sort() };
  let diagnostics: Run["diagnostics"];
  try {
    diagnostics = result.stdout.trim() === "" ? [] : (JSON.parse(result.stdout) as Diagnostic[]);
    if (!Array.isArray(diagnostics)) diagnostics = { unparsable: result.stdout };
  } catch {
    diagnostics = { unparsable: result.stdout };
  }
  return { strict, result, diagnostics, out, before: beforeState, after: afterState };
}

const show = (r: Run) =>
  `exit ${r.result.code}${r.result.signal ? ` (signal ${r.result.signal})` : ""}\n--- stderr ---\n${r.result.stderr.slice(0, 4000)}` +
  (r.result.stdout ? `\n--- stdout ---\n${r.result.stdout.slice(0, 2000)}` : "");

before(async () => {
  if (!existsSync(CLI)) {
    const built = await runNode([join(REPO, "scripts", "build.mjs")], REPO);
    assert.equal(built.code, 0, `node scripts/build.mjs failed:\n${built.stderr}`);
  }
  tmp = mkdtempSync(join(tmpdir(), "meshc-corpus-"));
  // The "previous good build" every case's output directory starts from.
  const shopOut = join(tmp, "shop-build");
  const shop = await runNode([CLI, "build", join(REPO, "examples", "shop", "mesh.ts"), "--out", shopOut, "--format", "json"], REPO);
  assert.equal(shop.code, 0, `building examples/shop failed:\n${shop.stderr}`);
  assert.ok(existsSync(join(shopOut, "manifest.json")), "the shop build wrote no manifest.json");
  shopHash = hashDir(shopOut);

  const jobs = cases.flatMap((c) =>
    (c.warningOnly ? [false, true] : [false]).map((strict) => async () => ({ c, run: await runCase(c, strict, shopOut) })),
  );
  for (const { c, run } of await pool(jobs, CONCURRENCY)) runs.set(c.name, [...(runs.get(c.name) ?? []), run]);
});

after(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test(`the corpus has at least ${MIN_CASES} cases, each expecting at least one registered code`, () => {
  assert.ok(cases.length >= MIN_CASES, `only ${cases.length} cases in ${CORPUS}`);
  for (const c of cases) {
    assert.ok(c.expected.length > 0, `${c.name}: no \`// expect: MESHxxxx\` marker in its modules`);
    for (const f of c.expected) assert.ok(REGISTRY.has(f.code), `${c.name}: ${findingKey(f)} names an unregistered code`);
  }
});

test("every code reachable from the DSL is expected by at least one case", () => {
  const covered = new Set(cases.flatMap((c) => c.expected.map((f) => f.code)));
  for (const code of Object.keys(UNREACHABLE)) {
    assert.ok(REGISTRY.has(code), `UNREACHABLE lists ${code}, which is not a registered code`);
    assert.ok(!covered.has(code), `${code} is listed as unreachable, but a case expects it`);
  }
  const missing = [...REGISTRY.keys()].filter((code) => !covered.has(code) && !(code in UNREACHABLE)).sort();
  assert.deepEqual(missing, [], `codes no corpus case expects: ${missing.join(", ")}`);
});

describe("invalid meshes", () => {
  for (const c of cases) {
    const expectedKeys = c.expected.map(findingKey);
    describe(c.name, () => {
      for (const strict of c.warningOnly ? [false, true] : [false]) {
        const label = strict ? "build --strict" : "build";
        const wantExit = c.warningOnly && !strict ? 0 : 1;
        const get = () => {
          const run = runs.get(c.name)?.find((r) => r.strict === strict);
          assert.ok(run, `${c.name}: ${label} did not run`);
          return run;
        };
        const diagnosticsOf = (run: Run) => {
          assert.ok(Array.isArray(run.diagnostics), `${label}: stderr is not a JSON diagnostics array\n${show(run)}`);
          return run.diagnostics;
        };

        test(`${label} exits ${wantExit}`, () => {
          const run = get();
          assert.equal(run.result.signal, null, show(run));
          assert.equal(run.result.code, wantExit, show(run));
        });

        test(`${label} reports exactly the marked (code, file, line) findings`, () => {
          const run = get();
          const got = diagnosticsOf(run).map((d) => findingKey(produced(c, d))).sort();
          assert.deepEqual(got, expectedKeys, `${label}: produced vs expected findings\n${show(run)}`);
        });

        test(`${label}: every diagnostic has a column, a message, a hint and its code's severity`, () => {
          const run = get();
          const problems: string[] = [];
          for (const d of diagnosticsOf(run)) {
            const at = findingKey(produced(c, d));
            if (!(typeof d.column === "number" && d.column >= 1)) problems.push(`${at}: no column`);
            if (!(typeof d.message === "string" && d.message.trim() !== "")) problems.push(`${at}: no message`);
            if (!(typeof d.hint === "string" && d.hint.trim() !== "")) problems.push(`${at}: no hint (message: ${d.message})`);
            const info = REGISTRY.get(d.code);
            if (!info) problems.push(`${at}: unregistered code`);
            else if (info.severity !== d.severity) problems.push(`${at}: severity ${d.severity}, registered as ${info.severity}`);
          }
          assert.deepEqual(problems, []);
        });

        if (wantExit === 1) {
          test(`${label} leaves the output directory untouched`, () => {
            const run = get();
            assert.equal(run.after.hash, run.before.hash, `${run.out} changed (or vanished)\n${show(run)}`);
            assert.deepEqual(run.after.siblings, run.before.siblings, "a temp directory was left beside the output directory");
          });
        } else {
          test(`${label} (warnings only) replaces the output directory with the new build`, () => {
            const run = get();
            assert.ok(existsSync(join(run.out, "manifest.json")), `no manifest.json in ${run.out}\n${show(run)}`);
            assert.notEqual(run.after.hash, shopHash, "the output directory still holds the previous build");
            // The replaced tree stays beside it as the spare the next build updates in place (src/build/spare.ts).
            assert.deepEqual(run.after.siblings, [...run.before.siblings, ".out.spare"].sort(), "a temp directory was left beside the output directory");
          });
        }
      }
    });
  }
});
