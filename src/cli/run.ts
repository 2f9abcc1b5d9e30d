// Runs meshc's command line with a given set of commands (main.ts: all of them; build-only.ts: `meshc build` alone,
// so a build does not load the server's, the CA's and the registry's libraries at start-up).
import { Command, CommanderError } from "@commander-js/extra-typings";
import { packageInfo } from "../runtime/package-root.js";
import { exitProcess, stuckWorkers } from "../runtime/stuck-workers.js";

export async function runCli(argv: string[], commands: readonly { register(program: Command): void }[]): Promise<number> {
  const program = new Command("meshc")
    .description("Compile a declarative service mesh into Envoy configuration and serve it over xDS")
    .version(packageInfo().version, "-V, --version")
    .showHelpAfterError("(run `meshc --help` for usage)")
    .exitOverride(); // set before registering: subcommands inherit it, so usage errors throw instead of exiting 1
  for (const command of commands) command.register(program);
  try {
    await program.parseAsync(argv);
    const code = typeof process.exitCode === "number" ? process.exitCode : 0;
    // An evaluation stuck in a native call would hold the process's exit forever (stuck-workers.ts).
    if (stuckWorkers() > 0) exitProcess(code);
    return code;
  } catch (err) {
    // Commander has already printed its message (or the help/version text, exit code 0).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`meshc: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 2;
  }
}
