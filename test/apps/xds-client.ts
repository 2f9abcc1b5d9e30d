// A proxyless gRPC client in its own process: the real @grpc/grpc-js-xds, dialing xds:///<target> (argv[2]) with
// the bootstrap in GRPC_XDS_BOOTSTRAP_CONFIG (grpc-js-xds reads it once per process, hence a child process).
// Commands arrive on stdin as JSON lines, answers leave on stdout as JSON lines:
//   {"op":"run","n":200,"failFirst":2,"idPrefix":"r","metadata":{"x-retry":"on"}}  n sequential unary calls of
//        /meshc.test.Greeter/Who with that metadata (plus x-test-id <idPrefix>-<i> and x-fail-first when failFirst
//        is given) ->
//        {"counts":{"<version>":n,…},"errors":{"<code> <details>":n,…}}
//        An optional "target" sends the calls to xds:///<that target> (one channel per target) instead of argv[2].
//   {"op":"exit"}
// The first line, once the channel is created, is {"ready":true}. Every call has a deadline.
// XDS_CLIENT_CREDENTIALS=xds dials with XdsChannelCredentials (gRFC A29: TLS from the clusters' UpstreamTlsContext
// and the bootstrap's certificate providers); otherwise insecure credentials (plaintext whatever xDS says). Replies
// that carry the callee's x-forwarded-client-cert are tallied under "peers".
import { Client, credentials, Metadata } from "@grpc/grpc-js";
import { register, XdsChannelCredentials } from "@grpc/grpc-js-xds";
import { createInterface } from "node:readline";
import { WHO_METHOD, type WhoReply } from "./grpc-app.js";

register();
const target = process.argv[2];
const deadlineMs = Number(process.env.XDS_CLIENT_DEADLINE_MS ?? 5000);
const creds = process.env.XDS_CLIENT_CREDENTIALS === "xds" ? new XdsChannelCredentials(credentials.createInsecure()) : credentials.createInsecure();
const client = new Client(`xds:///${target}`, creds);
const others = new Map<string, Client>();
const clientFor = (t: string | undefined): Client => {
  if (t === undefined || t === target) return client;
  let c = others.get(t);
  if (!c) others.set(t, (c = new Client(`xds:///${t}`, creds)));
  return c;
};

interface RunCommand {
  op: "run";
  target?: string;
  n: number;
  failFirst?: number;
  idPrefix?: string;
  metadata?: Record<string, string>;
}

function call(md: Metadata, c: Client = client): Promise<{ ok: WhoReply } | { error: string }> {
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      WHO_METHOD,
      (v: unknown) => Buffer.from(JSON.stringify(v)),
      (b: Buffer) => JSON.parse(b.toString("utf8")) as WhoReply,
      {},
      md,
      { deadline: Date.now() + deadlineMs },
      (err, res) => resolve(err ? { error: `${err.code} ${err.details}` } : { ok: res! }),
    );
  });
}

async function run(cmd: RunCommand) {
  const counts: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const peers: Record<string, number> = {};
  for (let i = 0; i < cmd.n; i++) {
    const md = new Metadata();
    for (const [k, v] of Object.entries(cmd.metadata ?? {})) md.set(k, v);
    if (cmd.failFirst !== undefined) {
      md.set("x-test-id", `${cmd.idPrefix ?? "call"}-${i}`);
      md.set("x-fail-first", String(cmd.failFirst));
    }
    const r = await call(md, clientFor(cmd.target));
    if ("ok" in r) {
      counts[r.ok.version] = (counts[r.ok.version] ?? 0) + 1;
      if (r.ok.xfcc !== undefined) peers[r.ok.xfcc] = (peers[r.ok.xfcc] ?? 0) + 1;
    } else errors[r.error] = (errors[r.error] ?? 0) + 1;
  }
  return Object.keys(peers).length ? { counts, errors, peers } : { counts, errors };
}

// Commands run one at a time, in order.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line) as RunCommand | { op: "exit" };
  queue = queue.then(async () => {
    if (cmd.op === "exit") {
      client.close();
      process.exit(0);
    }
    process.stdout.write(`${JSON.stringify(await run(cmd))}\n`);
  });
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
