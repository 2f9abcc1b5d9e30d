// Setting up an end-to-end mesh for one test: a temp dir with mesh.ts, the in-process test apps, `meshc serve`
// and `meshc run` sidecars as process groups, and a cleanup that always runs (registered with t.after before
// anything starts). On failure the error carries every process's log tail and the temp dir is kept.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { startHttpApp, type HttpApp } from "../../apps/http-app.js";
import { waitEnvoyReady } from "./envoy-admin.js";
import { startServe, startSidecar, waitConverged, waitServeReady } from "./meshc.js";
import type { Procs, Proc } from "./procs.js";
import { inWorkspace } from "./workspace.js";
import { meshSource, type MeshKnobs, type Topology } from "./topology.js";

export type SidecarName = "web" | "echo" | "flaky";

export interface E2eMesh {
  dir: string;
  meshPath: string;
  topo: Topology;
  procs: Procs;
  apps: { echoV1: HttpApp; echoV2: HttpApp; flaky: HttpApp };
  serve: Proc;
  sidecars: Partial<Record<SidecarName, Proc>>;
  /** Node ids by sidecar, for waitConverged: { "web-1": "web", … }. */
  nodes: Record<string, string>;
  writeMesh(k: MeshKnobs): void;
  /** Starts `meshc serve` again on the same ports (after a kill). */
  restartServe(): Promise<Proc>;
}

export interface E2eOptions {
  topo: Topology;
  knobs: MeshKnobs;
  sidecars: SidecarName[];
  delta?: boolean;
  envoy: string;
}

/** Runs `body` against a fresh mesh; cleans up whatever happens and adds the process logs to a failure. */
export async function withMesh(t: TestContext, o: E2eOptions, body: (m: E2eMesh) => Promise<void>): Promise<void> {
  await inWorkspace(t, "meshc-e2e-", async ({ dir, procs, closeLater }) => {
    const meshPath = join(dir, "mesh.ts");
    const writeMesh = (k: MeshKnobs) => writeFileSync(meshPath, meshSource(o.topo, k));
    writeMesh(o.knobs);
    const start = (service: string, version: string, port: number) =>
      startHttpApp({ service, version, port }).then(closeLater);
    const [echoV1, echoV2, flaky] = await Promise.all([
      start("echo", "v1", o.topo.echo.app),
      start("echo", "v2", o.topo.echo.v2App),
      start("flaky", "v1", o.topo.flaky.app),
    ]);

    const serveOpts = { mesh: meshPath, xdsPort: o.topo.xds, adminPort: o.topo.serveAdmin };
    let serve = startServe(procs, serveOpts);
    await waitServeReady(o.topo.serveAdmin, serve);

    const sidecars: E2eMesh["sidecars"] = {};
    const nodes: Record<string, string> = {};
    for (const s of o.sidecars) {
      nodes[`${s}-1`] = s;
      sidecars[s] = startSidecar(procs, { mesh: meshPath, service: s, instance: `${s}-1`, xdsPort: o.topo.xds, delta: o.delta, envoy: o.envoy });
    }
    await Promise.all(o.sidecars.map((s) => waitEnvoyReady(o.topo[s].admin, `sidecar ${s}`, 60_000, sidecars[s])));
    await waitConverged(o.topo.serveAdmin, nodes);

    const m: E2eMesh = {
      dir,
      meshPath,
      topo: o.topo,
      procs,
      apps: { echoV1, echoV2, flaky },
      get serve() {
        return serve;
      },
      sidecars,
      nodes,
      writeMesh,
      async restartServe() {
        serve = startServe(procs, { ...serveOpts, name: "meshc-serve-2" });
        await waitServeReady(o.topo.serveAdmin, serve);
        return serve;
      },
    };
    await body(m);
  });
}
