// Where live endpoints come from (issue 16): an EndpointSource reports the raw key/value entries of a registry and
// whether it can reach it. `meshc serve` validates the entries and overlays them on the EDS resources
// (src/serve/registry-overlay.ts); nothing downstream knows which registry it was. etcd is the one source today
// (./etcd.ts). A Kubernetes EndpointSlice source would implement the same interface: list+watch EndpointSlices
// labelled kubernetes.io/service-name=<key>, report one entry per ready endpoint address (key
// "<prefix>/services/<key>/<slice>.<address>", value in the layout of ./layout.ts with labels from the Pod and
// locality from the slice's zone hints), and report connected(false) while the API server is unreachable.
export interface RawEntry {
  key: string;
  value: Buffer;
  /**
   * Set when the key or the value is larger than any valid entry's (src/discovery/layout.ts rawEntry): the value is
   * not kept (empty here), the key only as a clipped id, and the entry is rejected as too large. valueBytes 0: the value was not read (larger than the receive limit).
   */
  oversized?: { keyBytes: number; valueBytes: number };
  /** On a watched put: whether the key is new (etcd: version 1) rather than re-written. Absent: not known. */
  created?: boolean;
  /**
   * An entry a previous run stored (src/serve/state.ts), already validated when it was received: its value is the
   * re-serialized entry, which can be longer than the value received ("port":1e4 is stored as "port":10000), so it is
   * bounded by RESTORED_ENTRY_BYTES instead of MAX_ENTRY_BYTES (src/discovery/layout.ts). Never set by a source.
   */
  restored?: boolean;
}

export interface EndpointSourceEvents {
  /** The whole state (after the first list and after every reconnect): replaces everything reported before. */
  reset(entries: RawEntry[]): void;
  put(entry: RawEntry): void;
  delete(key: string): void;
  /** Reachability changes; while false the last state is kept. */
  connected(up: boolean, problem?: string): void;
}

export interface EndpointSource {
  /** For logs and /readyz, e.g. "etcd http://10.0.0.5:2379 /meshc/shop" (no credentials). */
  readonly description: string;
  readonly prefix: string;
  start(events: EndpointSourceEvents): void;
  close(): Promise<void>;
}
