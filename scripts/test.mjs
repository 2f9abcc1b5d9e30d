// Runs every test/**/*.test.ts on node's built-in runner through tsx (Node 20 neither expands globs for --test
// nor strips TypeScript types). Extra arguments filter test files by substring: `npm test -- golden`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) { if (name !== "golden" && name !== "fixtures") walk(p); }
    else if (name.endsWith(".test.ts")) files.push(p);
  }
};
walk("test");
const filters = process.argv.slice(2);
const selected = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
if (selected.length === 0) { console.error("no test files selected"); process.exit(1); }
const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=2", ...selected], { stdio: "inherit" });
process.exit(r.status ?? 1);
