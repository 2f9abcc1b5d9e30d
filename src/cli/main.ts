// meshc's command line. Each command lives in ./commands/<name>.ts and exports `register(program)`; adding one is
// one import plus one entry in COMMANDS.
//
// Conventions every command follows:
// - exit 0 = ok, 1 = findings (the command sets `process.exitCode = 1`), 2 = usage or internal error. Commands never
//   call process.exit; for a usage problem they call `cmd.error(message, { exitCode: 2 })`, which prints and throws.
// - machine output (--json / -o json) on stdout, diagnostics on stderr; colour only on a TTY and never with NO_COLOR.
import type { Command } from "@commander-js/extra-typings";
import { runCli } from "./run.js";
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

process.exitCode = await runCli(process.argv, COMMANDS);
