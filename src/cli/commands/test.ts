// `meshc test [paths...] [--format human|json|github|junit]`: runs every `*.mesh.test.ts` under the paths (default:
// the current folder) against the compiled Envoy configuration of its mesh (src/testing/). Exit 0 when every
// expectation holds, 1 when one fails or a file or mesh has an error, 2 for usage errors (no test files, a path
// that does not exist, an unknown format).
import { Option, type Command } from "@commander-js/extra-typings";
import { shouldUseColor } from "../../diagnostics/render.js";
import { renderGithubRun, renderHumanRun, renderJsonRun, renderJunitRun, renderRunDiagnostics, TEST_FORMATS, type TestFormat } from "../../testing/report.js";
import { findTestFiles, runTestFile, summarize, type FileResult } from "../../testing/run.js";
import { addEvalOptions, evalLimits } from "../eval-options.js";

export function register(program: Command): void {
  const cmd = program
    .command("test")
    .description("check routing and authorization expectations (*.mesh.test.ts) against the compiled Envoy configuration")
    .argument("[paths...]", "test files or folders to search for *.mesh.test.ts (default: .)")
    .addOption(new Option("--format <format>", "output format").choices(TEST_FORMATS).default("human" as TestFormat))
    .option("--no-typecheck", "skip the TypeScript check of the test files");
  addEvalOptions(cmd);
  cmd.action(async (paths, opts) => {
    const { files, missing } = findTestFiles(paths.length ? paths : ["."]);
    if (missing.length) return cmd.error(`meshc test: no such file or folder: ${missing.join(", ")}`, { exitCode: 2 }) as never;
    if (files.length === 0) return cmd.error(`meshc test: no *.mesh.test.ts files under ${(paths.length ? paths : ["."]).join(", ")}`, { exitCode: 2 }) as never;
    const limits = { ...evalLimits(opts as { evalTimeout?: number; evalMaxHeap?: number }), typecheck: opts.typecheck !== false };
    const results: FileResult[] = [];
    for (const f of files) results.push(await runTestFile(f, limits));
    const run = summarize(results);
    const cwd = process.cwd();
    const format = opts.format as TestFormat;
    if (format === "human") {
      process.stderr.write(renderRunDiagnostics(run, shouldUseColor(process.stderr)));
      process.stdout.write(renderHumanRun(run, cwd, shouldUseColor(process.stdout)));
    } else if (format === "json") process.stdout.write(renderJsonRun(run, cwd));
    else if (format === "github") process.stdout.write(renderGithubRun(run, cwd));
    else process.stdout.write(renderJunitRun(run, cwd));
    process.exitCode = run.failed > 0 || run.errors > 0 ? 1 : 0;
  });
}
