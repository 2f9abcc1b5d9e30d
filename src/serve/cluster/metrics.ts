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
