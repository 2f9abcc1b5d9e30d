// Encoded resources carried from one translation to the next (`meshc serve` reloads, issue 12 item 5). A
// ResourceEncoder given a carry looks a message up here, by the same content key it memoizes on within one
// translation (kind + the JSON of the built message; for virtual hosts, type + JSON), before encoding it: the same
// content yields the very same EncodedResource object, so bytes and versions are identical to a fresh encode by
// construction, and only messages whose content changed go through the strict codec again.
// Failed encodes are never carried (their issues are reported by every translation that meets them). Bounded: after
// each translation, entries that were not used by it or by the one before are dropped.
import type { EncodedResource } from "../../snapshot/types.js";
import type { EncodedPart } from "./encode.js";

interface Entry<T> {
  value: T;
  /** The last translation (generation) that used this entry. */
  used: number;
}

export class EncodeCarry {
  private readonly resources = new Map<string, Entry<EncodedResource>>();
  private readonly parts = new Map<string, Entry<EncodedPart>>();
  private generation = 0;
  private partIds = 0;
  /** Counters of the current translation: taken from the carry, newly stored. */
  reused = 0;
  stored = 0;

  resource(key: string): EncodedResource | undefined {
    const e = this.resources.get(key);
    if (!e) return undefined;
    e.used = this.generation;
    this.reused++;
    return e.value;
  }

  keepResource(key: string, value: EncodedResource): void {
    this.resources.set(key, { value, used: this.generation });
    this.stored++;
  }

  part(key: string): EncodedPart | undefined {
    const e = this.parts.get(key);
    if (!e) return undefined;
    e.used = this.generation;
    this.reused++;
    return e.value;
  }

  keepPart(key: string, value: EncodedPart): void {
    this.parts.set(key, { value, used: this.generation });
    this.stored++;
  }

  /** Part ids are unique across translations: route configurations are memoized by the ids of their parts. */
  nextPartId(): number {
    return ++this.partIds;
  }

  /**
   * Ends a translation. `live` holds resources still served without having passed through the encoder this time
   * (proxies whose translation was skipped): they stay, as does whatever this translation or the previous used.
   */
  endTranslation(live: ReadonlySet<EncodedResource> = new Set()): void {
    const keepFrom = this.generation - 1;
    for (const [k, e] of this.resources) if (e.used < keepFrom && !live.has(e.value)) this.resources.delete(k);
    for (const [k, e] of this.parts) if (e.used < keepFrom) this.parts.delete(k);
    this.generation++;
    this.reused = 0;
    this.stored = 0;
  }

  get size(): number {
    return this.resources.size + this.parts.size;
  }
}
