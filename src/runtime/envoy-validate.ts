// `envoy --mode validate` on a bootstrap: Envoy parses the config, builds listeners, routes and clusters, and
// reports what its own checks reject (unknown cluster, duplicate listener names, …) without binding any port.
// Validate mode sets up no hot-restart shared memory; --disable-hot-restart states that explicitly, so any number
// of validations (and running Envoys) can share a machine without clashing on a base id.
import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { makeTempDir, removeTempDir } from "./temp-dirs.js";
import { join } from "node:path";

export interface EnvoyValidateResult {
  ok: boolean;
  /** null when Envoy was killed (timeout) or could not be started. */
  exitCode: number | null;
  /** stdout + stderr, with the temp file path replaced by the config's name. */
  output: string;
  /** Envoy's own error text without log prefixes, e.g. "route: unknown cluster 'nope'"; "" when ok. */
  message: string;
}

export interface EnvoyValidateOptions {
  envoyPath: string;
  /** File name shown in Envoy's messages; its extension (.json/.yaml) tells Envoy the format. Inferred if absent. */
  name?: string;
  timeoutMs?: number;
}

/** Validates a bootstrap given as JSON/YAML text, or any other value as JSON. Never throws for Envoy's verdict. */
export async function runEnvoyValidate(config: unknown, opts: EnvoyValidateOptions): Promise<EnvoyValidateResult> {
  const text = typeof config === "string" ? config : JSON.stringify(config);
  const name = opts.name ?? (/^\s*\{/.test(text) ? "bootstrap.json" : "bootstrap.yaml");
  const dir = makeTempDir("meshc-validate-");
  const file = join(dir, name);
  try {
    await writeFile(file, text);
    const args = ["--mode", "validate", "-c", file, "--log-level", "error", "--disable-hot-restart"];
    const run = await spawnCollect(opts.envoyPath, args, opts.timeoutMs ?? 60_000);
    const output = run.output.split(file).join(name).trim();
    const ok = run.exitCode === 0;
    return { ok, exitCode: run.exitCode, output, message: ok ? "" : envoyErrorMessage(output) };
  } finally {
    removeTempDir(dir);
  }
}

/**
 * Pulls the messages out of Envoy's log lines:
 * "[2026-…][41][critical][main] [source/server/config_validation/server.cc:76] error initializing configuration
 *  'bootstrap.json': route: unknown cluster 'nope'" -> "route: unknown cluster 'nope'".
 */
export function envoyErrorMessage(output: string): string {
  const messages: string[] = [];
  for (const line of output.split("\n")) {
    const m = /^\[[^\]]*\]\[[^\]]*\]\[(?:critical|error)\]\[[^\]]*\] (?:\[[^\]]*\] )?(.*)$/.exec(line);
    if (!m) continue;
    messages.push(m[1]!.replace(/^error initializing configuration '[^']*': /, ""));
  }
  return messages.length ? messages.join("\n") : output;
}

function spawnCollect(cmd: string, args: string[], timeoutMs: number): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      chunks.push(Buffer.from(`\nmeshc: envoy --mode validate timed out after ${timeoutMs} ms\n`));
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ exitCode: null, output: `meshc: cannot run ${cmd}: ${err.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, output: Buffer.concat(chunks).toString("utf8") });
    });
  });
}
