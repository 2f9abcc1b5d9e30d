// `meshc serve` on its own (entry.ts picks it): the same command as in main.ts, registered without the others, so
// the server's start-up loads only the modules serving needs (issue 12: start -> ready). The compiler (esbuild, the
// DSL's schemas), the CA's X.509 library and the registry's etcd client are imported by the code paths that use them.
import * as serve from "./commands/serve.js";
import { runCli } from "./run.js";

process.exitCode = await runCli(process.argv, [serve]);
