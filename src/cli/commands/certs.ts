// `meshc certs <mesh.ts> --service S --out <dir> --ca <dir> [--watch]`: the certificate files a proxyless gRPC
// client's file-watcher provider reads (gRFC A29; `meshc bootstrap --grpc --certs <dir>` points the bootstrap at
// them). One issue by default; --watch keeps running and rotates them at the mesh's rotation point and on
// `meshc ca rotate`. Exit 0 ok, 1 mesh errors, 2 usage or CA problems. Keys are written 0600 and never printed.
import type { Command } from "@commander-js/extra-typings";
import { exitCodeFor, render } from "../../diagnostics/render.js";
import { loadMesh } from "../../frontend/index.js";
import { CaError } from "../../pki/ca-dir.js";
import { watchCertFiles, writeCertFiles, type WrittenCerts } from "../../pki/cert-files.js";

export function register(program: Command): void {
  program
    .command("certs")
    .description("write (and with --watch, rotate) a proxyless gRPC client's certificate files from the mesh CA")
    .argument("<mesh>", "the mesh entry module (mesh.ts)")
    .requiredOption("--service <name>", "the service whose identity the certificate carries")
    .requiredOption("-o, --out <dir>", "directory for cert.pem, key.pem (0600) and ca.pem")
    .requiredOption("--ca <dir>", "the mesh CA directory (`meshc ca init`)")
    .option("--watch", "keep running: re-issue at the rotation point and when the CA changes")
    .action(async (mesh, opts) => {
      const loaded = await loadMesh(mesh);
      if (loaded.diagnostics.length) process.stderr.write(render(loaded.diagnostics, "human"));
      if (!loaded.ir || exitCodeFor(loaded.diagnostics) !== 0) {
        process.exitCode = 1;
        return;
      }
      const svc = loaded.ir.services.find((s) => s.name === opts.service);
      if (!svc) {
        process.stderr.write(`meshc certs: no service "${opts.service}" in ${mesh}\n`);
        process.exitCode = 2;
        return;
      }
      const say = (w: WrittenCerts) =>
        process.stderr.write(`meshc: wrote ${svc.identity} (serial ${w.cert.serial}, valid until ${w.cert.notAfter.toISOString()}) to ${opts.out}\n`);
      try {
        if (!opts.watch) {
          say(await writeCertFiles(opts.ca, opts.out, svc.identity, loaded.ir.mtls.certificates));
          return;
        }
        const stop = new AbortController();
        process.once("SIGTERM", () => stop.abort());
        process.once("SIGINT", () => stop.abort());
        await watchCertFiles(opts.ca, opts.out, svc.identity, loaded.ir.mtls.certificates, stop.signal, say, {
          onProblem: (message) => process.stderr.write(`meshc certs: warning: ${message}\n`),
        });
      } catch (err) {
        if (!(err instanceof CaError) && !(err as NodeJS.ErrnoException)?.code) throw err;
        process.stderr.write(`meshc certs: ${(err as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
