// `meshc build` on its own (entry.ts picks it): the same command as in main.ts, registered without the others, so
// a build loads only the compiler's modules (issue 12: start-up of the full command line costs ~1 s of CPU here).
import * as build from "./commands/build.js";
import { runCli } from "./run.js";

process.exitCode = await runCli(process.argv, [build]);
