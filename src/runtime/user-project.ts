// The user's project folder, as seen from where meshc runs: the nearest ancestor of the current directory holding a
// package.json (or, failing that, a .git), else the current directory itself. `meshc envoy install` puts Envoy in
// its .envoy/, the Envoy finder looks there, and doctor's advice names the command that works from there: inside
// a meshc checkout that is `npm run envoy:install`, in a user's repository `npx meshc envoy install`.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { findPackageRoot } from "./package-root.js";

export function userProjectDir(cwd: string = process.cwd()): string {
  const start = resolve(cwd);
  for (const marker of ["package.json", ".git"]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (existsSync(join(dir, marker))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  return start;
}

/** True when `cwd` lies in a meshc checkout (its project is the meshc package itself), not in a user's repository. */
export function inMeshcCheckout(cwd: string = process.cwd()): boolean {
  return findPackageRoot(join(userProjectDir(cwd), "package.json"))?.root === userProjectDir(cwd);
}
