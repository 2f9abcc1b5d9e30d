// `meshc build <mesh.ts> --out <dir>`: compile the mesh and write every proxy's configuration, one folder per
// service holding {cds,eds,lds,rds}.json DiscoveryResponses, plus manifest.json (see src/build/render.ts).
// Diagnostics: human on stderr, machine formats (json, github, sarif) on stdout. Exit 0 = written, 1 = errors (or warnings with --strict) and
// nothing written, 2 = usage or internal error (including an --out that is not a meshc build directory), 130/143 =
// interrupted by SIGINT/SIGTERM. The output directory is replaced atomically: on any failure or interruption it is
// left exactly as it was, and so is the folder around it.
import { Option, type Command } from "@commander-js/extra-typings";
import { relative } from "node:path";
import { BuildPlanner, type BuildPlan } from "../../build/incremental.js";
import { BuildTranslateCache } from "../../build/translate-cache.js";
import { ENCODED_INDEX } from "../../build/encoded-index.js";
import { MANIFEST } from "../../build/render.js";
import { warmEnvoyRoot } from "../../backends/envoy/api/registry.js";
import { certificatePlan } from "../../pki/plan.js";
import { BuildDirError, prepareBuildDir, type BuildDirWriter } from "../../build/write.js";
import { unreadableInput } from "../../diagnostics/ci.js";
import { writeDiagnostics } from "../../diagnostics/output.js";
import { OUTPUT_FORMATS, type OutputFormat, exitCodeFor } from "../../diagnostics/render.js";
import { compileMesh } from "../../pipeline.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";
import { compareDiagnostics } from "../../frontend/load.js";
import { envoyGate } from "../envoy-gate.js";
import { strictPatchDiagnostics } from "../../patch/apply.js";
import { formatPatchReport } from "../../patch/report.js";

export function register(program: Command): void {
  const cmd = program
    .command("build")
    .description("compile a mesh and write each proxy's xDS configuration (one folder per service) to --out")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .requiredOption("-o, --out <dir>", "output directory (replaced atomically)")
    .option("--strict", "treat warnings as errors")
    .option("--no-spare", "do not keep the replaced tree beside --out (as .<out>.spare) for the next build to update in place; remove it instead")
    .addOption(
      new Option("--envoy", "also run the real Envoy (envoy --mode validate) on every distinct proxy configuration; fails closed"),
    )
    .option("--envoy-bin <path>", "Envoy binary for --envoy (default: $ENVOY_BIN, then envoy on PATH, then the project's .envoy/)")
    .addOption(
      new Option("--format <format>", "diagnostics format")
        .choices(OUTPUT_FORMATS as readonly OutputFormat[])
        .default((process.env.GITHUB_ACTIONS === "true" ? "github" : "human") as OutputFormat),
    )
    .option("--path-base <dir>", "github/sarif: name files relative to this folder (default: $GITHUB_WORKSPACE, else the git top level)");
  addEvalOptions(cmd).action(async (mesh, opts, command) => {
      const strict = opts.strict === true;
      const unreadable = unreadableInput(mesh);
      if (unreadable) command.error(`meshc build: ${unreadable}`, { exitCode: 2 });
      // A rebuild into a previous build translates only the proxies whose inputs changed (src/build/translate-cache.ts).
      // Not awaited before the compile starts: the record is read and parsed while the evaluation worker runs.
      const opening = BuildTranslateCache.open(opts.out);
      opening.catch(() => undefined); // a failure surfaces where it is awaited
      // The writer's thread starts, and claims and scans the spare tree (src/build/spare.ts), while the mesh compiles.
      const preparing = prepareBuildDir(opts.out, { retire: opts.spare === false ? "detach" : "spare" });
      // Opened when translation starts: each proxy's files are rendered and written as soon as it is translated
      // (while the rest translate and the type check finishes); any failure after that drops the tree (release()).
      // A mesh that fails before translation never creates a temp tree.
      let writing: Promise<BuildDirWriter> | undefined;
      const openWriter = () => {
        writing ??= preparing.open();
        writing.catch(() => undefined); // a failure (--out not a build directory) surfaces where it is awaited below
        return writing;
      };
      let planner: BuildPlanner | undefined;
      // Ctrl-C or SIGTERM: release() drops the temp tree (a claimed spare goes back), or waits for a swap under way
      // (abort and commit share one promise once it starts), so --out and the folder around it are never left
      // half-done. A second signal meanwhile is ignored (it would kill the process mid-removal). A build whose tree
      // was swapped in has done its work: it ends as it would have (exit 0), not as interrupted.
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) return;
        stopping = true;
        const code = signal === "SIGINT" ? 130 : 143;
        void preparing
          .release()
          .catch(() => undefined)
          .finally(() => {
            if (!preparing.committed()) process.exit(code);
          });
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const compiling = compileMesh(mesh, {
          ...evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }),
          persistTypecheck: true,
          translate: async (ir) => {
            const cache = await opening;
            // Not for a mesh with patches: mesh.patch() changes proxies after translation.
            const writer = ir.patches?.length ? undefined : await openWriter().catch(() => undefined);
            planner = writer && (await BuildPlanner.start(opts.out, writer, cache.previousBuild()));
            return cache.translate(ir, planner && ((p) => planner!.proxy(p)));
          },
        });
        // Envoy's schema loads while the front end waits for esbuild and the evaluation worker, not after it.
        void warmEnvoyRoot();
        const result = await compiling;
        const cache = await opening;
        // --strict lists every mesh.patch() that changed something (MESH0242, a warning, so strict fails on it).
        if (opts.strict === true && result.patches) result.diagnostics = [...result.diagnostics, ...strictPatchDiagnostics(result.patches, result.baseDir)].sort(compareDiagnostics);
        if (opts.envoy === true && exitCodeFor(result.diagnostics, { strict: opts.strict === true }) === 0) {
          // Only a mesh meshc itself accepts is worth Envoy's time; its findings make the result fail.
          result.diagnostics = [...result.diagnostics, ...(await envoyGate(result, opts.envoyBin !== undefined ? { envoyBin: opts.envoyBin } : {}))].sort(compareDiagnostics);
        }
        // Machine formats (json, github, sarif) on stdout; people's output on stderr (src/diagnostics/output.ts).
        writeDiagnostics(result, { format: opts.format, ...(opts.pathBase !== undefined ? { pathBase: opts.pathBase } : {}) }, false);
        if (exitCodeFor(result.diagnostics, { strict }) !== 0 || !result.snapshot || !result.ir) {
          process.exitCode = 1;
          return;
        }
        let files = 0;
        let plan: BuildPlan | undefined;
        try {
          // Files equal to the previous build's in --out are linked, not rendered and written again.
          // Each file is written (on the writer's thread) as soon as it is rendered; the tree is swapped in at the end,
          // and the previous tree is removed by a detached process (src/build/retire.ts), not waited for.
          const writer = await openWriter();
          try {
            planner ??= await BuildPlanner.start(opts.out, writer, cache.previousBuild());
            plan = await planner.finish(result.ir.name, result.snapshot, certificatePlan(result.ir));
            files = plan.rendered + plan.reuse.size + 2; // + manifest.json and encoded.json
          } catch (err) {
            await writer.abort();
            throw err;
          }
          await writer.commit();
          // The record of what was translated, for the next build into --out (a failure leaves a record that no longer matches).
          await cache.save({ index: String(plan.files.get(ENCODED_INDEX)), manifest: String(plan.files.get(MANIFEST)) }).catch(() => undefined);
        } catch (err) {
          if (err instanceof BuildDirError) {
            process.stderr.write(`meshc build: ${err.message}\n`);
            process.exitCode = 2;
            return;
          }
          throw err;
        }
        // Which proxies each mesh.patch() changed, by mesh.ts line (stderr: people's output, in every format).
        for (const line of formatPatchReport(result.patches ?? [])) process.stderr.write(`${line}\n`);
        if (opts.format === "human") {
          const n = result.snapshot.proxies.size;
          process.stderr.write(`meshc: wrote ${n} prox${n === 1 ? "y" : "ies"} (${files} files) to ${relative(process.cwd(), opts.out) || "."}\n`);
          const { reused } = cache.stats;
          if (reused > 0) process.stderr.write(`meshc: ${reused} of ${n} proxies unchanged since the previous build into it (not translated again)\n`);
        }
      } finally {
        // Drops an opened writer's tree (a claimed spare goes back); a no-op once the writer committed or aborted.
        await preparing.release();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });
}
