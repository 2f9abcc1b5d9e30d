// Test scaffolding: an xDS server per test on a fixed port, a log capture, raw clients closed afterwards.
import type { TestContext } from "node:test";
import { pino, type Logger } from "pino";
import { Registry } from "prom-client";
import type { MeshSnapshot } from "../../src/snapshot/types.js";
import type { XdsLimits } from "../../src/xds/limits.js";
import { startXdsServer, type XdsServer } from "../../src/xds/server.js";
import { AdsTestClient, type DeltaClient, type SotwClient } from "./ads-client.js";

export interface LogCapture {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function captureLogs(level = "debug"): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return { logger, lines };
}

export interface TestServer {
  server: XdsServer;
  registry: Registry;
  logs: LogCapture;
  sotw(): SotwClient;
  delta(): DeltaClient;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export async function startTestServer(t: TestContext, port: number, snapshot?: MeshSnapshot, limits?: Partial<XdsLimits>): Promise<TestServer> {
  const registry = new Registry();
  const logs = captureLogs();
  const server = await startXdsServer({ address: `127.0.0.1:${port}`, logger: logs.logger, registry, limits, ...(snapshot ? { snapshot } : {}) });
  const clients: { close(): void }[] = [];
  t.after(async () => {
    for (const c of clients) c.close();
    await server.close(200);
  });
  return {
    server,
    registry,
    logs,
    sotw() {
      const c = AdsTestClient.sotw(server.address);
      clients.push(c);
      return c;
    },
    delta() {
      const c = AdsTestClient.delta(server.address);
      clients.push(c);
      return c;
    },
    metric: (name, labels) => metricValue(registry, name, labels),
  };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  let sum = 0;
  for (const v of values) {
    const l = v.labels as Record<string, string | number>;
    const series = (v as { metricName?: string }).metricName ?? name;
    if (series !== name && series !== `${name}_count`) continue; // histograms: the observation count
    if (Object.entries(labels).every(([k, x]) => String(l[k]) === x)) sum += v.value;
  }
  return sum;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 50): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(everyMs);
  }
}
