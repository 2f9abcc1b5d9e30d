// A build file's bytes as segments of memory shared with the build writer's thread (src/build/write.ts), so that
// the main thread copies each distinct piece of JSON once and the thread assembles the files (issue 12 item 5).
// Route tables and ClusterLoadAssignments are mostly text shared with other resources: the same virtual hosts in
// every caller's route table, the same locality groups in every caller's assignment (differing only in the spliced
// priority). render.ts renders them as whole strings per resource; copying those into shared memory was ~40 % of
// `meshc build`'s render time for the 1,000-service mesh (25 MB of route tables alone). Here a resource is the list
// of its pieces: its own few bytes (type and name), references to the shared pieces, and constant separators. The
// concatenation is byte for byte render.ts's text (renderResource); test/backend/render-segments.test.ts checks it.
// The separator after an item (",\n" before the next one, or the list's close) is copied once with that item's own
// bytes rather than referenced as a segment of its own: every segment is three numbers that the writer's batches
// carry to its thread for each file (7,000 files and ~390,000 segments for the 1,000-service mesh before, a third
// fewer after).
import type { Canonical } from "../backends/envoy/api/canonical.js";
import { canonicalOf } from "../backends/envoy/encode.js";
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";
import { assignmentLines, GROUP_END, groupSplice, isPlainAssignment, isPlainRouteTable, priorityTail, renderGroup, renderResource, renderVirtualHost, routeTableLines } from "./render.js";

const LINE = ",\n      ";
const ITEM = ",\n        ";
const CLOSE = "\n      ]\n    }";

export class SegmentRenderer {
  private readonly constants = new Map<string, Buffer>();
  private readonly resources = new WeakMap<EncodedResource, Buffer[]>();
  /** A virtual host's or group's rendering followed by ITEM, by its canonical object (copied once). */
  private readonly items = new WeakMap<Canonical, Buffer>();
  /** A group's segments when followed by ITEM or by CLOSE (index 0, 1). */
  private readonly groups = new WeakMap<Canonical, [Buffer[]?, Buffer[]?]>();

  /** `alloc`: memory shared with the writer's thread (BuildDirWriter.alloc); whatever is written there stays. */
  constructor(private readonly alloc: (size: number) => Buffer) {}

  /** A resource's rendering (renderResource's text) as segments; the same array for the same resource. */
  resource(kind: ResourceKind, r: EncodedResource): Buffer[] {
    let segs = this.resources.get(r);
    if (segs === undefined) {
      segs = this.segmentsOf(kind, r);
      this.resources.set(r, segs);
    }
    return segs;
  }

  private segmentsOf(kind: ResourceKind, r: EncodedResource): Buffer[] {
    if (kind === "route" || kind === "endpoint") {
      const c = canonicalOf(kind, r);
      if (kind === "route" && isPlainRouteTable(c)) {
        const hosts = (c.virtual_hosts as Canonical[] | undefined) ?? [];
        if (hosts.length) return this.list(routeTableLines(r.typeUrl, c), "virtual_hosts", hosts.map((h, i) => this.host(h, i === hosts.length - 1 ? 1 : 0)));
      } else if (kind === "endpoint" && isPlainAssignment(c)) {
        const groups = (c.endpoints as Canonical[] | undefined) ?? [];
        if (groups.length) return this.list(assignmentLines(r.typeUrl, c), "endpoints", groups.map((g, i) => this.group(g, i === groups.length - 1 ? 1 : 0)));
      }
    }
    return [this.bytes(renderResource(kind, r))];
  }

  /** `{ lines…, "<field>": [ items… ] }` at a resource's depth, as render.ts writes it; items end in their separator. */
  private list(lines: string[], field: string, items: Buffer[][]): Buffer[] {
    const out = [this.bytes(`{\n      ${lines.join(LINE)}${LINE}${JSON.stringify(field)}: [\n        `)];
    for (const segs of items) out.push(...segs);
    return out;
  }

  /** A virtual host's rendering followed by ITEM (`last` 0) or by CLOSE (1). */
  private host(h: Canonical, last: 0 | 1): Buffer[] {
    return this.ending(this.item(h, renderVirtualHost), last);
  }

  /** An item's shared bytes (its rendering and ITEM) as the segments of its rendering followed by ITEM or CLOSE. */
  private ending(b: Buffer, last: 0 | 1): Buffer[] {
    return last ? [b.subarray(0, b.length - ITEM.length), this.constant(CLOSE)] : [b];
  }

  private item(c: Canonical, render: (c: Canonical) => string): Buffer {
    let b = this.items.get(c);
    if (b === undefined) this.items.set(c, (b = this.bytes(render(c) + ITEM)));
    return b;
  }

  /**
   * A locality group followed by ITEM (`last` 0) or CLOSE (1): a priority spliced into its base's shared bytes
   * (the base's rendering up to its GROUP_END, then the priority and the separator), or its own rendering.
   */
  private group(g: Canonical, last: 0 | 1): Buffer[] {
    let pair = this.groups.get(g);
    if (pair === undefined) this.groups.set(g, (pair = []));
    let segs = pair[last];
    if (segs === undefined) {
      const splice = groupSplice(g);
      if (splice) {
        const base = this.item(splice.base, renderGroup);
        const cut = base.length - GROUP_END.length - ITEM.length;
        segs = [...(cut > 0 ? [base.subarray(0, cut)] : []), this.constant(priorityTail(splice.priority) + (last ? CLOSE : ITEM))];
      } else segs = this.ending(this.item(g, renderGroup), last);
      pair[last] = segs;
    }
    return segs;
  }

  private bytes(text: string): Buffer {
    const b = this.alloc(Buffer.byteLength(text));
    b.write(text);
    return b;
  }

  private constant(text: string): Buffer {
    let b = this.constants.get(text);
    if (b === undefined) {
      b = this.bytes(text);
      this.constants.set(text, b);
    }
    return b;
  }
}
