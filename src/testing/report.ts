// Reporters for `meshc test`: human (stdout: a line per request, failures with file:line and the explanation;
// diagnostics go to stderr through the ordinary renderer), json (one document), github (workflow-command
// annotations on the failing lines), junit (JUnit XML: a testsuite per file, a testcase per request). Output
// depends only on the results, so it is the same across runs (no timings outside junit's time attribute).
import { displayPath, escapeData, escapeProperty, renderHuman, renderJson } from "../diagnostics/render.js";
import type { TestRun } from "./run.js";

export type TestFormat = "human" | "json" | "github" | "junit";
export const TEST_FORMATS: readonly TestFormat[] = ["human", "json", "github", "junit"];

const at = (s: { file: string; line: number; column: number }, cwd: string) => `${displayPath(s.file, cwd)}:${s.line}:${s.column}`;

export function renderHumanRun(run: TestRun, cwd: string, color = false): string {
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const green = (s: string) => (color ? `\x1b[32m${s}\x1b[0m` : s);
  const lines: string[] = [];
  for (const f of run.files) {
    lines.push(displayPath(f.file, cwd));
    for (const s of f.suites) {
      for (const c of s.cases) {
        if (c.passed) {
          lines.push(`  ${green("ok")}   ${c.title}`);
          continue;
        }
        lines.push(`  ${red("FAIL")} ${c.title}  (${at(c.site, cwd)})`);
        for (const x of c.failures) {
          lines.push(`       ${at(x.site, cwd)}: ${x.message}`);
          for (const e of x.explanation) lines.push(`         - ${e}`);
        }
        for (const d of c.diagnostics) lines.push(`       ${d.file ? `${at({ file: d.file, line: d.line ?? 0, column: d.column ?? 0 }, cwd)}: ` : ""}${d.code}: ${d.message}`);
      }
    }
  }
  lines.push("");
  lines.push(`${run.passed} passed, ${run.failed} failed${run.errors ? `, ${run.errors} error(s)` : ""} in ${run.files.length} file(s)`);
  return lines.join("\n") + "\n";
}

/** Diagnostics of every file, rendered for stderr as `meshc check` would. */
export function renderRunDiagnostics(run: TestRun, color: boolean): string {
  const all = run.files.flatMap((f) => f.diagnostics);
  return all.length ? renderHuman(all, { color }) : "";
}

export function renderJsonRun(run: TestRun, cwd: string): string {
  const rel = (file: string) => displayPath(file, cwd);
  const doc = {
    passed: run.passed,
    failed: run.failed,
    errors: run.errors,
    files: run.files.map((f) => ({
      file: rel(f.file),
      diagnostics: JSON.parse(renderJson(f.diagnostics.map((d) => (d.file ? { ...d, file: rel(d.file) } : d)))) as unknown,
      suites: f.suites.map((s) => ({
        name: s.name,
        line: s.site.line,
        cases: s.cases.map((c) => ({
          request: c.title,
          file: rel(c.site.file),
          line: c.site.line,
          column: c.site.column,
          passed: c.passed,
          failures: c.failures.map((x) => ({ ...x, site: { ...x.site, file: rel(x.site.file) } })),
        })),
      })),
    })),
  };
  return JSON.stringify(doc, null, 2) + "\n";
}

export function renderGithubRun(run: TestRun, cwd: string): string {
  const out: string[] = [];
  const rel = (file: string) => displayPath(file, cwd);
  for (const f of run.files) {
    for (const d of f.diagnostics) {
      const props = [d.file ? `file=${escapeProperty(rel(d.file))}` : "", d.line ? `line=${d.line}` : "", d.column ? `col=${d.column}` : "", `title=${escapeProperty(d.code)}`].filter(Boolean).join(",");
      out.push(`::${d.severity === "error" ? "error" : "warning"} ${props}::${escapeData(d.message)}`);
    }
    for (const s of f.suites)
      for (const c of s.cases)
        for (const x of c.failures) {
          const props = `file=${escapeProperty(rel(x.site.file))},line=${x.site.line},col=${x.site.column},title=${escapeProperty(`meshc test: ${c.title}`)}`;
          out.push(`::error ${props}::${escapeData([x.message, ...x.explanation.map((e) => `- ${e}`)].join("\n"))}`);
        }
  }
  out.push(`${run.passed} passed, ${run.failed} failed${run.errors ? `, ${run.errors} error(s)` : ""}`);
  return out.join("\n") + "\n";
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");

export function renderJunitRun(run: TestRun, cwd: string): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="meshc test" tests="${run.passed + run.failed}" failures="${run.failed}" errors="${run.errors}">`];
  for (const f of run.files) {
    const file = displayPath(f.file, cwd);
    const cases = f.suites.flatMap((s) => s.cases.map((c) => ({ s, c })));
    const failures = cases.filter((x) => !x.c.passed).length;
    const errors = f.diagnostics.filter((d) => d.severity === "error");
    const fileErrors = errors.filter((d) => !cases.some((x) => x.c.diagnostics.includes(d)));
    out.push(`  <testsuite name="${xml(file)}" tests="${cases.length + (fileErrors.length ? 1 : 0)}" failures="${failures}" errors="${fileErrors.length ? 1 : 0}" time="${(f.durationMs / 1000).toFixed(3)}">`);
    if (fileErrors.length) {
      out.push(`    <testcase classname="${xml(file)}" name="compile" file="${xml(file)}">`);
      out.push(`      <error message="${xml(fileErrors[0]!.message)}" type="${xml(fileErrors[0]!.code)}">${xml(fileErrors.map((d) => `${d.code} ${d.file ?? ""}:${d.line ?? 0}:${d.column ?? 0} ${d.message}`).join("\n"))}</error>`);
      out.push("    </testcase>");
    }
    for (const { s, c } of cases) {
      out.push(`    <testcase classname="${xml(`${file} ${s.name}`)}" name="${xml(c.title)}" file="${xml(file)}" line="${c.site.line}">`);
      for (const x of c.failures) out.push(`      <failure message="${xml(x.message)}" type="assertion">${xml([`${at(x.site, cwd)}: ${x.message}`, ...x.explanation.map((e) => `- ${e}`)].join("\n"))}</failure>`);
      for (const d of c.diagnostics) out.push(`      <error message="${xml(d.message)}" type="${xml(d.code)}"/>`);
      out.push("    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>");
  return out.join("\n") + "\n";
}
