// The cost of publishing a snapshot to `meshc serve --workers 2` (src/serve/cluster/protocol.ts), without the noise
// of a loaded machine's wall clock: the primary's CPU for one publish to two workers (numbering + two messages +
// their IPC serialization), one worker's CPU to deserialize and rebuild the snapshot, and the message size, for
// the peers bench's change (bench/peers.ts: two build directories differing in every service's route timeout,
// alternated). `--main-protocol <file>` also measures an older protocol.ts (main at 4e98e1d, whose encoder took the
// snapshot and a held set per message) in the same process, alternating with the current one.
//
//   npm run build && node --import tsx bench/peers.ts --proxies 1000 --runs 0   (creates the build directories once)
//   node --import tsx bench/worker-messages.ts [--main-protocol /path/to/main/src/serve/cluster/protocol.ts]
import { join, resolve } from "node:path";
import { serialize, deserialize } from "node:v8";
import { BuildDirReader } from "../src/backends/envoy/read-build.js";
import * as current from "../src/serve/cluster/protocol.js";
import type { MeshSnapshot } from "../src/snapshot/types.js";

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const work = join(resolve(import.meta.dirname, ".."), ".tmp", "peers");
const reader = new BuildDirReader();
const snaps: MeshSnapshot[] = [];
for (const side of ["a", "b"]) {
  const r = await reader.read(join(work, `build-1000-${side}`));
  if (!r.ok) throw new Error(`run bench/peers.ts once first: ${join(work, `build-1000-${side}`)} does not read`);
  snaps.push(r.snapshot);
}
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
type Publish = (i: number) => Buffer;

function currentProtocol(): { publish: Publish; apply(b: Buffer): void } {
  const enc = new current.SnapshotEncoder();
  const dec = new current.SnapshotDecoder();
  const holdings = [current.emptyHoldings(), current.emptyHoldings()];
  return {
    publish(i) {
      enc.index(snaps[i % 2]!);
      let buf!: Buffer;
      for (const h of holdings) buf = serialize(enc.message(i, h));
      return buf;
    },
    apply: (b) => void dec.decode(deserialize(b)),
  };
}

async function mainProtocol(file: string): Promise<{ publish: Publish; apply(b: Buffer): void }> {
  // main's API: index(mesh) -> {byKey, table}; message(seq, mesh, indexed, held); decode(message).
  const m = (await import(resolve(file))) as {
    SnapshotEncoder: new () => { index(s: MeshSnapshot): { table: Map<number, unknown> }; message(seq: number, s: MeshSnapshot, idx: unknown, held: Set<number>): unknown };
    SnapshotDecoder: new () => { decode(m: unknown): unknown };
  };
  const enc = new m.SnapshotEncoder();
  const dec = new m.SnapshotDecoder();
  let held = new Set<number>();
  return {
    publish(i) {
      const idx = enc.index(snaps[i % 2]!);
      let buf!: Buffer;
      for (let w = 0; w < 2; w++) buf = serialize(enc.message(i, snaps[i % 2]!, idx, held));
      held = new Set(idx.table.keys());
      return buf;
    },
    apply: (b) => void dec.decode(deserialize(b)),
  };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
async function measure(name: string, make: () => Promise<{ publish: Publish; apply(b: Buffer): void }>): Promise<void> {
  const p = await make();
  const primary: number[] = [];
  const worker: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 10; i++) {
    const c0 = cpu();
    const buf = p.publish(i);
    const c1 = cpu();
    p.apply(buf);
    const c2 = cpu();
    if (i >= 2) {
      primary.push(c1 - c0);
      worker.push(c2 - c1);
      bytes = buf.length;
    }
  }
  console.log(`${name}: per change, medians of 8 after 2 warm-up publishes: primary ${median(primary).toFixed(0)} ms CPU (2 workers), worker ${median(worker).toFixed(0)} ms CPU, message ${(bytes / 1e6).toFixed(2)} MB`);
}

const old = arg("main-protocol");
for (let round = 0; round < 2; round++) {
  if (old) await measure("main", () => mainProtocol(old));
  await measure("current", async () => currentProtocol());
}
