// Child process of test/frontend/typescript-code-cache.test.ts: loads TypeScript (through V8's code cache,
// typescript-code-cache.ts, with "cached"; with require() otherwise), type-checks the given entries, leaves a code
// cache if none was taken, and prints {cached, results} as JSON.
import { createRequire } from "node:module";
import { dslEntry } from "../../src/frontend/paths.js";
import { saveTypescriptCodeCache, typecheck, useTypescriptFrom } from "../../src/frontend/typecheck.js";

const [mode, ...entries] = process.argv.slice(2);
const cached = useTypescriptFrom(createRequire(import.meta.url).resolve("typescript"), mode === "cached");
const results = entries.map((e) => typecheck(e, dslEntry()).diagnostics);
saveTypescriptCodeCache();
process.stdout.write(JSON.stringify({ cached, results }));
