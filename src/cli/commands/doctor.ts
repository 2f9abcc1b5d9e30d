// `meshc doctor`: the versions meshc runs with and the Envoy it would use, plus what to do when Envoy is missing
// or not the pinned release. Exit 0 when everything is in order, 1 otherwise.
import type { Command } from "@commander-js/extra-typings";
import { createRequire } from "node:module";
import {
  envoyInstallHint,
  ENVOY_PINNED_SERIES,
  findEnvoy,
  isEnvoyMissing,
  isPinnedEnvoyVersion,
  type EnvoySource,
} from "../../runtime/envoy-binary.js";
import { packageInfo } from "../../runtime/package-root.js";

const NODE_MIN_MAJOR = 20;

export type EnvoyReport =
  | { found: true; path: string; source: EnvoySource; version: string | null; pinned: string; matchesPin: boolean }
  | { found: false; tried: string[]; hint: string; pinned: string };

export interface DoctorReport {
  ok: boolean;
  meshc: { version: string; root: string };
  node: { version: string; supported: boolean };
  typescript: { version: string | null };
  envoy: EnvoyReport;
  /** What to do next, one line each; empty when ok. */
  advice: string[];
}

export function register(program: Command): void {
  program
    .command("doctor")
    .description("show the Node, TypeScript and Envoy versions meshc uses, and how to fix a missing Envoy")
    .option("--envoy <path>", "Envoy binary to use (default: $ENVOY_BIN, then envoy on PATH, then the project's .envoy/)")
    .option("--json", "print the report as JSON on stdout")
    .action((opts) => {
      const report = doctorReport(opts.envoy);
      process.stdout.write(opts.json ? stableJson(report) + "\n" : renderText(report, useColor(process.stdout)));
      process.exitCode = report.ok ? 0 : 1;
    });
}

export function doctorReport(envoyFlag?: string): DoctorReport {
  const pkg = packageInfo();
  const nodeMajor = Number(process.versions.node.split(".")[0]);
  const envoy = envoyReport(envoyFlag);
  const advice: string[] = [];
  if (!envoy.found) advice.push(`Envoy ${ENVOY_PINNED_SERIES} not found: ${envoy.hint}.`);
  else if (envoy.version === null)
    advice.push(`${envoy.path} printed no Envoy version for --version; meshc needs Envoy ${envoy.pinned}: ${envoyInstallHint()}.`);
  else if (!envoy.matchesPin)
    advice.push(`${envoy.path} is Envoy ${envoy.version}, meshc is pinned to ${envoy.pinned}: ${envoyInstallHint()}.`);
  if (nodeMajor < NODE_MIN_MAJOR) advice.push(`Node ${process.version} is too old: install Node ${NODE_MIN_MAJOR} or newer.`);
  return {
    ok: advice.length === 0,
    meshc: { version: pkg.version, root: pkg.root },
    node: { version: process.version, supported: nodeMajor >= NODE_MIN_MAJOR },
    typescript: { version: typescriptVersion() },
    envoy,
    advice,
  };
}

function envoyReport(flag: string | undefined): EnvoyReport {
  const pinned = `${ENVOY_PINNED_SERIES}.x`;
  const r = findEnvoy(flag === undefined ? {} : { flag });
  if (isEnvoyMissing(r)) return { found: false, tried: r.tried, hint: r.hint, pinned };
  const version = r.version ?? null;
  return { found: true, path: r.path, source: r.source, version, pinned, matchesPin: isPinnedEnvoyVersion(r.version) };
}

function typescriptVersion(): string | null {
  try {
    const pj = createRequire(import.meta.url)("typescript/package.json") as { version?: string };
    return pj.version ?? null;
  } catch {
    return null;
  }
}

const SOURCE_LABEL: Record<EnvoySource, string> = {
  flag: "--envoy",
  ENVOY_BIN: "$ENVOY_BIN",
  PATH: "PATH",
  project: "project .envoy/",
};

export function renderText(r: DoctorReport, color: boolean): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const [green, red, yellow] = [(s: string) => paint(32, s), (s: string) => paint(31, s), (s: string) => paint(33, s)];
  const row = (k: string, v: string) => `${k.padEnd(12)}${v}\n`;
  let out = row("meshc", `${r.meshc.version} (${r.meshc.root})`);
  out += row("node", r.node.supported ? r.node.version : red(`${r.node.version} (needs >= ${NODE_MIN_MAJOR})`));
  out += row("typescript", r.typescript.version ?? red("not installed"));
  const e = r.envoy;
  if (e.found) {
    const pin = e.matchesPin ? green(`matches pinned ${e.pinned}`) : yellow(`not the pinned ${e.pinned}`);
    out += row("envoy", `${e.version ?? "unknown version"} at ${e.path} (via ${SOURCE_LABEL[e.source]}), ${pin}`);
  } else {
    out += row("envoy", red("not found"));
    for (const t of e.tried) out += row("", `tried ${t}`);
  }
  out += "\n";
  out += r.ok ? green("✔ meshc is ready.") + "\n" : r.advice.map((a) => red("✖ ") + a + "\n").join("");
  return out;
}

function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !("NO_COLOR" in process.env && process.env.NO_COLOR !== "") && process.env.TERM !== "dumb";
}

/** JSON with keys sorted at every level, so the report is byte-stable. */
function stableJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v !== null && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return JSON.stringify(sort(value), null, 2);
}
