// `meshc ca init --out <dir>` creates the mesh CA (a self-signed root, or with --root-cert/--root-key an
// intermediate signed by the company's root); `meshc ca rotate --ca <dir> [--finish]` rotates the root in two steps
// (overlap window, then removal of the old root). Keys are written 0600 and never printed. Exit 0 ok, 2 on any
// problem (usage, unreadable files, a directory that already holds a CA).
import { Option, type Command } from "@commander-js/extra-typings";
import { readFileSync } from "node:fs";
import { CaError, initCa, rotateCa } from "../../pki/ca-dir.js";
import { SecretPem } from "../../pki/secret.js";
import type { KeyAlgorithm } from "../../pki/x509.js";

function fail(cmd: string, err: unknown): void {
  if (!(err instanceof CaError) && !(err as NodeJS.ErrnoException)?.code) throw err;
  process.stderr.write(`meshc ca ${cmd}: ${(err as Error).message}\n`);
  process.exitCode = 2;
}

export function register(program: Command): void {
  const ca = program.command("ca").description("create and rotate the mesh certificate authority");
  ca.command("init")
    .description("create a mesh CA in --out: a self-signed root, or an intermediate under --root-cert/--root-key")
    .requiredOption("-o, --out <dir>", "directory to create the CA in (0700; must not hold a CA yet)")
    .option("--root-cert <pem>", "your organisation's root certificate: sign an intermediate with it")
    .option("--root-key <pem>", "the private key (PKCS#8 PEM) of --root-cert")
    .option("--trust-domain <domain>", "named in the CA's subject", "mesh")
    .addOption(new Option("--key-algorithm <alg>", "CA key algorithm").choices(["ecdsa-p256", "rsa-2048"] as const).default("ecdsa-p256" as const))
    .action(async (opts) => {
      try {
        const meta = await initCa(opts.out, {
          trustDomain: opts.trustDomain,
          keyAlgorithm: opts.keyAlgorithm as KeyAlgorithm,
          rootCertPem: opts.rootCert === undefined ? undefined : readFileSync(opts.rootCert, "utf8"),
          rootKeyPem: opts.rootKey === undefined ? undefined : new SecretPem(readFileSync(opts.rootKey, "utf8")),
        });
        process.stderr.write(`meshc: created a ${meta.kind} CA (${meta.keyAlgorithm}) in ${opts.out}\n`);
      } catch (err) {
        fail("init", err);
      }
    });
  ca.command("rotate")
    .description("rotate the mesh root: a new root signs and both are trusted; --finish then drops the old root")
    .requiredOption("--ca <dir>", "the CA directory")
    .option("--finish", "end the overlap window: remove the old root from the trust bundle")
    .action(async (opts) => {
      try {
        const meta = await rotateCa(opts.ca, { finish: opts.finish === true });
        process.stderr.write(
          meta.phase === "overlap"
            ? [
                meta.oldRootProblem === undefined
                  ? `meshc: new root active, old and new roots trusted (generation ${meta.generation}). meshc serve rolls the new root out to the proxies' certificates; its xDS server keeps presenting a certificate from the old root until --finish.`
                  : `meshc: new root active, old and new roots trusted (generation ${meta.generation}). meshc serve rolls the new root out to the proxies' certificates.\nwarning: ${meta.oldRootProblem}, so it was not kept to sign the xDS server's certificate: meshc serve presents a new-root one at once, which proxies bootstrapped before this rotation cannot verify (they lose the control plane at their next reconnect).`,
                `meshc: before \`meshc ca rotate --ca ${opts.ca} --finish\`, give every proxy new bootstrap files and restart it: run \`meshc bootstrap … --ca ${opts.ca} --out …\` again for each bootstrapped Envoy (its *.xds-ca.pem must hold the new root, its *.xds-cert.pem come from it) and restart it; restart each \`meshc run\`. Then wait for "CA change rolled out" in the serve log: a proxy still on old-root bootstrap files is named there, and --finish would cut it off the control plane.`,
              ].join("\n") + "\n"
            : [
                `meshc: old root removed from the trust bundle (generation ${meta.generation}); its certificates are refused from now on.`,
                `warning: meshc serve now presents a new-root xDS server certificate and refuses old-root ADS client certificates: a proxy still running from bootstrap files written before \`meshc ca rotate\` loses the control plane at its next reconnect (the serve log names any connected one). Run \`meshc bootstrap --ca\` for it again and restart it.`,
              ].join("\n") + "\n",
        );
      } catch (err) {
        fail("rotate", err);
      }
    });
}
