// `meshc run` starts the real Envoy: two sidecars share the host (hot restart disabled), each dials the xDS server
// from its bootstrap (SotW and Delta) with its node, answers on its admin port, gets the extra Envoy arguments,
// prefixes its log lines, and stops with exit 0 on a forwarded SIGTERM, leaving no temp bootstrap behind.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { after, describe, test } from "node:test";
import { envoySkipReason } from "../helpers/envoy.js";
import { startAdsObserver, type AdsObserver } from "./ads-observer.js";
import { MESH, spawnMeshc } from "./cli-helpers.js";

const XDS_PORT = 19391;
const ADMIN = { api: 19371, web: 19372 }; // from fixtures/mesh.ts

interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawnMeshc(["run", MESH, ...args]);
  const r: Running = { child, stdout: "", stderr: "", exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
  child.stdout!.on("data", (c: Buffer) => (r.stdout += c));
  child.stderr!.on("data", (c: Buffer) => (r.stderr += c));
  return r;
}

function get(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** Polls until `probe` yields a value; fails after `limitMs` with `what` (a bound, not a timing assertion). */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs = 40_000, procs: Running[] = []): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`gave up waiting for ${what}\n${procs.map((p) => p.stderr).join("\n---\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("meshc run", { skip: envoySkipReason() }, () => {
  const procs: Running[] = [];
  let observer: AdsObserver | undefined;
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await observer?.close();
  });

  test("two sidecars, SotW and Delta, on one host", async () => {
    observer = await startAdsObserver(XDS_PORT);
    const xds = ["--xds", `127.0.0.1:${XDS_PORT}`];
    const api = start(["--service", "api", "--instance", "api-1", ...xds, "--", "--concurrency", "1"]);
    const web = start(["--service", "web", "--instance", "web-1", "--delta", ...xds, "--", "--concurrency", "1"]);
    procs.push(api, web);

    for (const [name, port] of Object.entries(ADMIN)) {
      const ready = await waitFor(`${name}'s admin /ready`, () => get(port, "/ready"), 40_000, procs);
      assert.match(ready.body.trim(), /^(LIVE|PRE_INITIALIZING|INITIALIZING)$/);
      const info = JSON.parse((await get(port, "/server_info"))!.body) as {
        node: { id: string; cluster: string };
        command_line_options: { disable_hot_restart: boolean; concurrency: number };
      };
      assert.deepEqual([info.node.id, info.node.cluster], [`${name}-1`, name]);
      assert.equal(info.command_line_options.disable_hot_restart, true);
      assert.equal(info.command_line_options.concurrency, 1); // the arguments after --
    }

    await waitFor("both ADS streams", () => (observer!.streams.length >= 2 ? true : undefined), 40_000, procs);
    const byNode = new Map(observer.streams.map((s) => [(s.first.node as { id: string }).id, s.method]));
    assert.equal(byNode.get("api-1"), "StreamAggregatedResources");
    assert.equal(byNode.get("web-1"), "DeltaAggregatedResources");

    api.child.kill("SIGTERM");
    web.child.kill("SIGTERM");
    assert.deepEqual(await Promise.all([api.exit, web.exit]), [0, 0]);
    for (const [p, name] of [[api, "api"], [web, "web"]] as const) {
      assert.match(p.stderr, new RegExp(`^\\[${name}\\] \\[\\d{4}-`, "m"), "Envoy's log lines carry the service prefix");
      const file = /bootstrap (\S+)\n/.exec(p.stderr)?.[1];
      assert.ok(file, p.stderr);
      assert.equal(existsSync(file), false, `${file} was removed`);
    }
  });

  test("--static: Envoy serves without an xDS server and turns LIVE", async () => {
    const web = start(["--service", "web", "--instance", "web-2", "--static", "--admin-port", "19373", "--", "--concurrency", "1"]);
    procs.push(web);
    const ready = await waitFor("LIVE on /ready", async () => {
      const r = await get(19373, "/ready");
      return r?.status === 200 ? r : undefined;
    }, 40_000, [web]);
    assert.equal(ready.body.trim(), "LIVE");
    const listeners = (await get(19373, "/listeners"))!.body;
    assert.match(listeners, /inbound\|19352/);
    web.child.kill("SIGINT");
    assert.equal(await web.exit, 0);
  });
});
