// Every bundled example compiles from mesh.ts with no errors (and only the warnings it shows on purpose), and every
// proxy it produces, assembled into a static bootstrap (snapshot inlined), passes `envoy --mode validate`.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { staticBootstrap } from "../../src/backends/envoy/static-bootstrap.js";
import { compileMesh } from "../../src/pipeline.js";
import { runEnvoyValidate } from "../../src/runtime/envoy-binary.js";
import { mapLimit } from "../backend/cases.js";
import { requireEnvoy } from "../helpers/envoy.js";

const EXAMPLES = join(import.meta.dirname, "..", "..", "examples");
// Warnings an example shows on purpose (its comments explain them); everything else must compile clean.
const EXPECTED_WARNINGS: Record<string, string[]> = { grpc: ["MESH0313", "MESH0313"] };
const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
// Each example's mesh.ts, plus its variants (`*.mesh.ts`, e.g. bookinfo's task files): "<example>/<file>".
const meshFiles = examples.flatMap((name) =>
  readdirSync(join(EXAMPLES, name))
    .filter((f) => f === "mesh.ts" || f.endsWith(".mesh.ts"))
    .sort()
    .map((f) => `${name}/${f}`),
);

describe("examples", () => {
  test("there are at least the shop, grpc, tcp-failover and bookinfo examples, bookinfo with its task variants", () => {
    for (const name of ["shop", "grpc", "tcp-failover", "bookinfo"]) assert.ok(examples.includes(name), name);
    for (const f of ["request-routing", "traffic-shifting", "fault-injection", "request-timeouts"]) assert.ok(meshFiles.includes(`bookinfo/${f}.mesh.ts`), f);
  });

  for (const file of meshFiles) {
    const name = file.split("/")[0]!;
    test(`${file}: compiles cleanly and every proxy passes envoy --mode validate`, { timeout: 120_000 }, async (t) => {
      const r = await compileMesh(join(EXAMPLES, file));
      assert.deepEqual(
        r.diagnostics.map((d) => d.code),
        EXPECTED_WARNINGS[name] ?? [],
        r.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}: ${d.message}`).join("\n"),
      );
      assert.ok(r.snapshot && r.ir);
      const envoyPath = requireEnvoy(t);
      if (!envoyPath) return;
      const { ir, snapshot } = r;
      const results = await mapLimit([...snapshot.proxies.keys()], 2, async (svc) => {
        const bootstrap = staticBootstrap(ir, svc, snapshot, { apiListeners: { socketPortsFrom: 20000 } });
        const v = await runEnvoyValidate(bootstrap, { envoyPath, name: `${name}-${svc}.json` });
        return v.ok ? undefined : `${svc}: ${v.message}`;
      });
      assert.ok(snapshot.proxies.size >= 2, "an example has several proxies");
      assert.deepEqual(results.filter(Boolean), []);
    });
  }
});
