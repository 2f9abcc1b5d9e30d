// /metrics of `meshc serve --workers N`: the primary's registry (compile, watch, certificate, registry and per-proxy
// sync gauges, its process metrics) merged with every worker's (xds_* counters, gauges and histograms of the streams
// it holds, its process metrics) by prom-client's AggregatorRegistry: counters, gauges and histograms are summed
// over processes (connections, pushes, NACKs, CPU seconds and memory of the whole server), the few default metrics
// that are per process by nature use prom-client's own aggregators (e.g. the start time: the first one).
import { AggregatorRegistry, Registry } from "prom-client";

type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

export class ClusterRegistry extends Registry {
  /** Set once the workers are started: their metrics as getMetricsAsJSON() arrays. */
  workerMetrics: (() => Promise<unknown[][]>) | undefined;

  override async metrics(): Promise<string> {
    if (!this.workerMetrics) return super.metrics();
    const mine = await this.getMetricsAsJSON();
    const theirs = await this.workerMetrics();
    return AggregatorRegistry.aggregate([mine, ...(theirs as MetricsJson[])]).metrics();
  }
}

/**
 * What keeps the summed counters from going backwards (Prometheus reads a drop as a counter reset and miscounts
 * rate()): a worker that does not answer in time is counted with its last answer, and the counters and histograms
 * of a worker that exited are carried, from its last answer, into a baseline its slot keeps adding.
 */
export class WorkerMetricsMemory {
  private readonly last = new Map<number, MetricsJson>();
  private readonly retired = new Map<number, MetricsJson>();

  /** The metrics to sum for `slot`: its fresh answer (remembered), else its last one, plus what exited workers left. */
  parts(slot: number, fresh: unknown[] | undefined): MetricsJson[] {
    if (fresh) this.last.set(slot, fresh as MetricsJson);
    const out: MetricsJson[] = [];
    const current = this.last.get(slot);
    if (current) out.push(current);
    const base = this.retired.get(slot);
    if (base) out.push(base);
    return out;
  }

  /** The worker of `slot` exited: its monotonic metrics (as last seen) join the slot's baseline. */
  async exited(slot: number): Promise<void> {
    const last = this.last.get(slot);
    if (!last) return;
    // getMetricsAsJSON gives the type as a string ("counter"); prom-client's typings say a numeric enum it does not export.
    const monotonic = last.filter((m) => ["counter", "histogram"].includes(m.type as unknown as string));
    const base = this.retired.get(slot);
    const merged = base ? await AggregatorRegistry.aggregate([base, monotonic]).getMetricsAsJSON() : monotonic;
    // Swapped in one step (no await between), so a scrape sees either the old worker's last answer or the baseline.
    this.retired.set(slot, merged);
    if (this.last.get(slot) === last) this.last.delete(slot);
  }
}
