// `meshc diff <base> <head>`: what a change does to the proxies. Each side is a mesh.ts, a build directory or
// git:<ref>[:path] (see src/diff/sides.ts). Output on stdout: the blast radius first (which proxies change, which
// resource types, how many resources), then a field-level diff per resource keyed by resource names, with the
// mesh.ts line behind each change where a side was compiled from mesh.ts. Exit codes as diff(1)/kubectl diff:
// 0 no change, 1 changes, 2 error (a side that is missing, not readable, or does not compile).
import { InvalidArgumentError, Option, type Command } from "@commander-js/extra-typings";
import { render as renderDiagnostics, shouldUseColor } from "../../diagnostics/render.js";
import { compareSnapshots } from "../../diff/compare.js";
import { DIFF_FORMATS, renderDiff, type DiffFormat } from "../../diff/render.js";
import { buildReport } from "../../diff/report.js";
import { DiffInputError, loadSides } from "../../diff/sides.js";

export function register(program: Command): void {
  program
    .command("diff")
    .description("show what changes in each proxy's configuration between two meshes (blast radius first); exit 0 same, 1 different, 2 error")
    .argument("<base>", "mesh.ts, a build directory, or git:<ref>[:path] (e.g. git:origin/main:mesh.ts)")
    .argument("<head>", "mesh.ts, a build directory, or git:<ref>[:path]")
    .addOption(new Option("--format <format>", "output format").choices(DIFF_FORMATS as readonly DiffFormat[]).default("human" as DiffFormat))
    .option("--max-resources <n>", "show at most n resource changes in detail (human: all, markdown: 200)", (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a whole number, got "${v}"`);
      return n;
    })
    .action(async (baseSpec, headSpec, opts) => {
      let report;
      try {
        const [base, head] = await loadSides(baseSpec, headSpec);
        // Comparing decodes what a build directory's encoded.json holds: bytes that do not decode are an input error.
        report = buildReport(base, head, compareSnapshots(base.snapshot, head.snapshot));
      } catch (err) {
        if (!(err instanceof DiffInputError)) throw err;
        if (err.diagnostics.length) process.stderr.write(renderDiagnostics(err.diagnostics, "human", { color: shouldUseColor(process.stderr) }));
        process.stderr.write(`meshc diff: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      const options = { color: shouldUseColor(process.stdout), ...(opts.maxResources !== undefined ? { maxResources: opts.maxResources } : {}) };
      process.stdout.write(renderDiff(report, opts.format, options));
      process.exitCode = report.changed ? 1 : 0;
    });
}
