// The one way tests get a real etcd (Debian's `etcd-server` package, installed by scripts/install-etcd.sh from
// `npm run envoy:install`): ETCD_BIN, else `etcd` on PATH. Under CI=true a missing etcd fails the test; elsewhere
// the test is skipped with the way to install it. startEtcd runs one single-member server on 127.0.0.1 ports the
// test chooses, with its data in a directory of its own.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { isCI } from "./envoy.js";
import { eventually, type Proc, type Procs } from "../e2e/lib/procs.js";

export const ETCD_INSTALL_HINT = "install it with `npm run envoy:install` as root (scripts/install-etcd.sh: apt-get install etcd-server), or set ETCD_BIN";

let cached: { path: string; version: string } | { reason: string } | undefined;

function lookup() {
  if (cached) return cached;
  const bin = process.env.ETCD_BIN || "etcd";
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  const m = /etcd Version: (\S+)/.exec(out);
  if (r.error || r.status !== 0 || !m) cached = { reason: `etcd not found (${bin}: ${r.error?.message ?? out.trim().split("\n")[0] ?? "no output"}); ${ETCD_INSTALL_HINT}` };
  else cached = { path: bin, version: m[1]! };
  return cached;
}

/** The etcd binary, or undefined after marking the test skipped (outside CI). Under CI=true it throws. */
export function requireEtcd(t: TestContext): string | undefined {
  const r = lookup();
  if ("path" in r) return r.path;
  if (isCI) throw new Error(`CI=true and this test needs a real etcd: ${r.reason}`);
  t.skip(r.reason);
  return undefined;
}

export interface EtcdServer {
  proc: Proc;
  url: string;
}

/** Starts etcd on 127.0.0.1:clientPort (peer on peerPort) with data under dir/etcd-<name>; waits until it answers. */
export async function startEtcd(procs: Procs, bin: string, o: { dir: string; clientPort: number; peerPort: number; name?: string }): Promise<EtcdServer> {
  const name = o.name ?? "etcd";
  const url = `http://127.0.0.1:${o.clientPort}`;
  const peer = `http://127.0.0.1:${o.peerPort}`;
  const proc = procs.start({
    name,
    cmd: bin,
    args: [
      "--name", name,
      "--data-dir", join(o.dir, `data-${name}`),
      "--listen-client-urls", url,
      "--advertise-client-urls", url,
      "--listen-peer-urls", peer,
      "--initial-advertise-peer-urls", peer,
      "--initial-cluster", `${name}=${peer}`,
      "--log-level", "warn",
    ],
  });
  await eventually(async () => {
    if (!proc.running) throw new Error(`etcd exited:\n${proc.tail(20)}`);
    const r = await fetch(`${url}/health`).catch(() => undefined);
    return r?.ok && ((await r.json()) as { health?: string }).health === "true";
  }, `etcd on ${url} to be healthy`, 30_000, 200);
  return { proc, url };
}
