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
            ? `meshc: new root active, old and new roots trusted (generation ${meta.generation}); run \`meshc ca rotate --ca ${opts.ca} --finish\` once every proxy has a new leaf\n`
            : `meshc: old root removed from the trust bundle (generation ${meta.generation})\n`,
        );
      } catch (err) {
        fail("rotate", err);
      }
    });
}
