// The live view behind the admin dashboard: the current status report (status.ts), the rendered service graph,
// and the Server-Sent Events clients that follow them. Nothing polls: the xDS server calls back when the snapshot
// or a proxy's status changes (XdsServer.onChange), `meshc serve` calls notify() after each load and setGraph()
// after each good one; changes within one short window are coalesced into one event per client.
// Bounded (clients control these): at most MAX_SSE_CLIENTS event streams (more get 503), an event stream whose
// client does not read is dropped once MAX_BUFFERED_BYTES are queued, and a report lists at most MAX_PROXY_ROWS
// proxies (the rest are counted).
import type { ServerResponse } from "node:http";
import type { GraphModel } from "../graph/model.js";
import { nodeId } from "../graph/dot.js";
import { renderSvg } from "../graph/svg.js";
import type { MeshSnapshot } from "../snapshot/types.js";
import type { XdsServer } from "../xds/index.js";
import { buildStatus, snapshotVersion, type LoadSummary, type StatusReport } from "./status.js";

export const LIVE_LIMITS = {
  maxSseClients: 16,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxProxyRows: 1000,
  /** Changes within this window go out as one event (at most 10 reports a second, however many proxies ACK). */
  coalesceMs: 100,
  /** A comment line this often keeps idle event streams (and the proxies in front of them) open. */
  heartbeatMs: 25_000,
  /**
   * Services drawn at most: Graphviz runs on serve's event loop (seconds at 1,000 services, when it does not overflow
   * the stack), so a larger mesh gets a note pointing at `meshc graph -o dot` instead.
   */
  maxGraphNodes: 300,
};

export interface GraphView {
  mesh: string;
  svg: string;
  /** Service name -> id of its node in the SVG. */
  nodes: Record<string, string>;
}

export interface LiveReport extends StatusReport {
  /** Proxies left out of `proxies` (over LIVE_LIMITS.maxProxyRows). */
  omittedProxies: number;
  /** When this report was made (ISO). */
  at: string;
}

export class LiveStatus {
  private readonly clients = new Set<ServerResponse>();
  private changedAt: string | undefined;
  private version: string | undefined;
  private lastSnapshot: MeshSnapshot | undefined;
  private graph: GraphView | undefined;
  private graphKey: string | undefined;
  private pending: NodeJS.Timeout | undefined;
  private pendingGraph = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly xds: XdsServer,
    private readonly lastLoad: () => LoadSummary | undefined,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.unsubscribe = xds.onChange(() => this.notify());
  }

  /** The status now, with the snapshot version and when it last changed. */
  report(): LiveReport {
    this.trackVersion();
    const snap = this.xds.snapshot();
    const r = buildStatus(snap, this.xds.proxies(), { ...(this.changedAt && { changedAt: this.changedAt }), load: this.lastLoad() ?? null });
    const omitted = Math.max(0, r.proxies.length - LIVE_LIMITS.maxProxyRows);
    return { ...r, proxies: r.proxies.slice(0, LIVE_LIMITS.maxProxyRows), omittedProxies: omitted, at: new Date().toISOString() };
  }

  /** Notes when the snapshot's content changed (cheap when the snapshot object is the same as last time). */
  private trackVersion(): void {
    const snap = this.xds.snapshot();
    if (!snap || snap === this.lastSnapshot) return;
    this.lastSnapshot = snap;
    const v = snapshotVersion(snap);
    if (v !== this.version) {
      this.version = v;
      this.changedAt = new Date().toISOString();
    }
  }

  graphView(): GraphView | undefined {
    return this.graph;
  }

  /** A new graph (after a good load); rendered once here, pushed to clients when it differs from the last one. */
  setGraph(model: GraphModel): void {
    const key = JSON.stringify(model);
    if (key === this.graphKey) return;
    this.graphKey = key;
    const done = (svg: string, nodes: Record<string, string>) => {
      if (this.graphKey !== key || this.closed) return; // a newer graph is on its way
      this.graph = { mesh: model.mesh, svg, nodes };
      this.pendingGraph = true;
      this.notify();
    };
    if (model.nodes.length > LIVE_LIMITS.maxGraphNodes) {
      done(tooLargeSvg(model.nodes.length), {});
      return;
    }
    renderSvg(model).then(
      (svg) => done(svg, Object.fromEntries(model.nodes.map((n) => [n.id, nodeId(n.id)]))),
      (err: Error) => this.onError(err),
    );
  }

  /** Something changed: one event to every client after the coalescing window. */
  notify(): void {
    // The version/changedAt bookkeeping must not depend on someone watching; with nobody watching, that is all
    // (a report clones every stream's status: not something to do on each of thousands of ACKs).
    if (this.clients.size === 0) {
      this.trackVersion();
      return;
    }
    if (this.pending || this.closed) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.broadcast();
    }, LIVE_LIMITS.coalesceMs);
  }

  /** Takes over `res` as an event stream; false when there are already as many as allowed. */
  subscribe(res: ServerResponse): boolean {
    if (this.closed || this.clients.size >= LIVE_LIMITS.maxSseClients) return false;
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" });
    res.socket?.setTimeout(0);
    this.clients.add(res);
    res.on("close", () => {
      this.clients.delete(res);
      if (this.clients.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = undefined;
      }
    });
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) this.write(c, ": keep-alive\n\n");
    }, LIVE_LIMITS.heartbeatMs);
    this.heartbeat.unref();
    this.write(res, "retry: 1000\n\n");
    if (this.graph) this.write(res, event("graph", this.graph));
    this.write(res, event("status", this.report()));
    return true;
  }

  clientCount(): number {
    return this.clients.size;
  }

  /** Ends every event stream (the admin server is closing). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    clearTimeout(this.pending);
    clearInterval(this.heartbeat);
    for (const c of [...this.clients]) c.end();
    this.clients.clear();
  }

  private broadcast(): void {
    if (this.closed) return;
    const parts: string[] = [];
    if (this.pendingGraph && this.graph) parts.push(event("graph", this.graph));
    this.pendingGraph = false;
    parts.push(event("status", this.report()));
    const text = parts.join("");
    for (const c of [...this.clients]) this.write(c, text);
  }

  private write(res: ServerResponse, text: string): void {
    if (res.writableLength > LIVE_LIMITS.maxBufferedBytes) {
      // The client stopped reading: drop it rather than queue without bound (EventSource reconnects if it can).
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }
}

function event(name: string, data: unknown): string {
  // JSON has no raw newlines, so one data: line holds it.
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** What the dashboard shows for a mesh too large to draw there (no user text: nothing to escape). */
function tooLargeSvg(services: number): string {
  const text = `${services} services: more than the dashboard draws (${LIVE_LIMITS.maxGraphNodes}). Draw it with: meshc graph <mesh.ts> -o dot (or -o mermaid)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="40" viewBox="0 0 900 40"><text x="10" y="25" font-family="sans-serif" font-size="14">${text.replace(/</g, "&lt;").replace(/>/g, "&gt;")}</text></svg>`;
}
