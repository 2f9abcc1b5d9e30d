// The server side of the endpoint-churn benchmark (bench/registry-churn.ts), in its own process so its CPU and RSS
// are its own: the synthetic 1,000-service mesh with every service's instances taken from the registry, served by
// the xDS server with the registry feed of `meshc serve` (src/serve/registry.ts) watching a real etcd.
import { pino } from "pino";
import { Registry } from "prom-client";
import { syntheticMesh } from "./synthetic-ir.js";
import { translateMesh } from "../src/backends/envoy/translate.js";
import { RegistryFeed } from "../src/serve/registry.js";
import { startXdsServer } from "../src/xds/server.js";

const [port, services, etcdUrl, prefix] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
const ir = syntheticMesh({ services });
for (const s of ir.services) {
  s.instances = { kind: "static", endpoints: [] };
  s.registry = { key: s.name };
}
ir.discovery = { kind: "etcd", endpoints: [etcdUrl], prefix };
const t = translateMesh(ir);
if (t.issues.length) throw new Error(`backend issues: ${JSON.stringify(t.issues[0])}`);
const base = t.snapshot;
const logger = pino({ level: "warn" });
const registry = new Registry();
const xds = await startXdsServer({ address: `127.0.0.1:${port}`, logger, registry });
let publishes = 0;
const feed: RegistryFeed = new RegistryFeed({
  logger,
  registry,
  republish: () => {
    publishes++;
    xds.setSnapshot(feed.apply(base));
  },
});
feed.compiled(ir, process.cwd());
xds.setSnapshot(feed.apply(base));

let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100).unref();
process.on("message", (m: { cmd: string }) => {
  if (m.cmd === "usage") {
    const c = process.cpuUsage();
    process.send!({ rss: process.memoryUsage().rss, peakRss, cpuUs: c.user + c.system, publishes, status: feed.status() });
  } else if (m.cmd === "exit") {
    void feed.close().then(() => xds.close(100)).then(() => process.exit(0));
  }
});
process.send!({ ready: true });
