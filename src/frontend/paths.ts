// Locates this package (source tree or dist/) so the loader can map "meshc" to the DSL sources from either.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The meshc package root: the nearest ancestor of this module with a package.json named "meshc". */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "meshc") return (root = dir);
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`meshc: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** src/dsl/index.ts, the module "meshc" resolves to inside mesh.ts files. */
export function dslEntry(): string {
  return join(packageRoot(), "src", "dsl", "index.ts");
}

export function dslDir(): string {
  return join(packageRoot(), "src", "dsl");
}
