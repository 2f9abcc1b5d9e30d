// meshc's command line. Each command lives in ./commands/<name>.ts and exports `register(program)`; adding one is
// one import plus one entry in COMMANDS.
//
// Conventions every command follows:
// - exit 0 = ok, 1 = findings (the command sets `process.exitCode = 1`), 2 = usage or internal error. Commands never
//   call process.exit; for a usage problem they call `cmd.error(message, { exitCode: 2 })`, which prints and throws.
// - machine output (--json / -o json) on stdout, diagnostics on stderr; colour only on a TTY and never with NO_COLOR.
import { Command, CommanderError } from "@commander-js/extra-typings";
import { packageInfo } from "../runtime/package-root.js";
import * as build from "./commands/build.js";
import * as check from "./commands/check.js";
import * as printIr from "./commands/print-ir.js";
import * as prometheusConfig from "./commands/prometheus-config.js";
import * as doctor from "./commands/doctor.js";
import * as explain from "./commands/explain.js";
import * as bootstrap from "./commands/bootstrap.js";
import * as run from "./commands/run.js";
import * as serve from "./commands/serve.js";
import * as envoy from "./commands/envoy.js";
import * as diff from "./commands/diff.js";
import * as ca from "./commands/ca.js";
import * as certs from "./commands/certs.js";
import * as meshTest from "./commands/test.js";
import * as explainRoute from "./commands/explain-route.js";
import * as graph from "./commands/graph.js";
import * as status from "./commands/status.js";
import * as proxyConfig from "./commands/proxy-config.js";
import * as registerCmd from "./commands/register.js";

const COMMANDS: { register(program: Command): void }[] = [check, build, printIr, serve, bootstrap, run, doctor, envoy, diff, prometheusConfig, ca, certs, explain, explainRoute, meshTest, graph, status, proxyConfig, registerCmd];

async function main(argv: string[]): Promise<number> {
  const program = new Command("meshc")
    .description("Compile a declarative service mesh into Envoy configuration and serve it over xDS")
    .version(packageInfo().version, "-V, --version")
    .showHelpAfterError("(run `meshc --help` for usage)")
    .exitOverride(); // set before registering: subcommands inherit it, so usage errors throw instead of exiting 1
  for (const command of COMMANDS) command.register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    // Commander has already printed its message (or the help/version text, exit code 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`meshc: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 2;
  }
}

process.exitCode = await main(process.argv);
