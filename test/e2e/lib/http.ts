// HTTP from tests and the demo: plain GETs (admin endpoints) and requests through a sidecar's outbound listener
// with an explicit Host header (fetch cannot set Host), over keep-alive connections, each with a deadline.
import { Agent, request } from "node:http";

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

export interface Reply {
  status: number;
  body: string;
  /** Parsed body when it is JSON. */
  json?: any;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
  /** Set when no HTTP response arrived (connection refused/reset, deadline). */
  error?: string;
}

export interface RequestOptions {
  port: number;
  path?: string;
  host?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
  method?: string;
}

/** Never throws: transport problems come back as `{status: 0, error}`. */
export function send(o: RequestOptions): Promise<Reply> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: Omit<Reply, "ms">) => {
      if (done) return;
      done = true;
      resolve({ ...r, ms: Math.round(performance.now() - t0) });
    };
    const req = request(
      { host: "127.0.0.1", port: o.port, path: o.path ?? "/", method: o.method ?? "GET", agent, headers: { ...(o.host && { host: o.host }), ...o.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          if (String(res.headers["content-type"] ?? "").includes("json")) {
            try {
              json = JSON.parse(body);
            } catch {
              // not JSON after all
            }
          }
          finish({ status: res.statusCode ?? 0, body, json, headers: res.headers });
        });
        res.on("error", (e) => finish({ status: 0, body: "", headers: {}, error: e.message }));
      },
    );
    req.setTimeout(o.timeoutMs ?? 10_000, () => {
      req.destroy(new Error(`no response within ${o.timeoutMs ?? 10_000} ms`));
    });
    req.on("error", (e) => finish({ status: 0, body: "", headers: {}, error: e.message }));
    req.end();
  });
}

/** GET returning the body text; throws on a transport error or a status other than 200 (for pollers). */
export async function getText(port: number, path: string, timeoutMs = 3000): Promise<string> {
  const r = await send({ port, path, timeoutMs });
  if (r.error) throw new Error(`GET :${port}${path}: ${r.error}`);
  if (r.status !== 200) throw new Error(`GET :${port}${path}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  return r.body;
}

export async function getJson<T = any>(port: number, path: string, timeoutMs = 3000): Promise<T> {
  return JSON.parse(await getText(port, path, timeoutMs)) as T;
}

/** Runs `n` requests made by `make(i)` with at most `concurrency` in flight; results in index order. */
export async function sendMany(n: number, concurrency: number, make: (i: number) => RequestOptions): Promise<Reply[]> {
  const out: Reply[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      out[i] = await send(make(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}

export interface Tally {
  total: number;
  ok: number;
  failed: number;
  /** Successful replies by the app's `version` field. */
  byVersion: Record<string, number>;
  /** Replies by status (0 = no response). */
  byStatus: Record<string, number>;
}

export function tally(replies: readonly Reply[]): Tally {
  const t: Tally = { total: replies.length, ok: 0, failed: 0, byVersion: {}, byStatus: {} };
  for (const r of replies) {
    t.byStatus[r.status] = (t.byStatus[r.status] ?? 0) + 1;
    if (r.status === 200) {
      t.ok++;
      const v = String(r.json?.version ?? "?");
      t.byVersion[v] = (t.byVersion[v] ?? 0) + 1;
    } else t.failed++;
  }
  return t;
}

/**
 * A background request loop (e.g. during a reload or a server restart): `concurrency` workers, each pausing
 * `pauseMs` between requests (the machine is shared), collecting every reply until stopped.
 */
export function trafficLoop(make: (i: number) => RequestOptions, concurrency = 2, pauseMs = 5): { replies: Reply[]; stop(): Promise<Reply[]> } {
  const replies: Reply[] = [];
  let running = true;
  let i = 0;
  const worker = async () => {
    while (running) {
      replies.push(await send(make(i++)));
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    replies,
    async stop() {
      running = false;
      await Promise.all(workers);
      return replies;
    },
  };
}
