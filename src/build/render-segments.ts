// A build file's bytes as segments of memory shared with the build writer's thread (src/build/write.ts), so that
// the main thread copies each distinct piece of JSON once and the thread assembles the files (issue 12 item 5).
// Route tables and ClusterLoadAssignments are mostly text shared with other resources: the same virtual hosts in
// every caller's route table, the same locality groups in every caller's assignment (differing only in the spliced
// priority). render.ts renders them as whole strings per resource; copying those into shared memory was ~40 % of
// `meshc build`'s render time for the 1,000-service mesh (25 MB of route tables alone). Here a resource is the list
// of its pieces: its own few bytes (type and name), references to the shared pieces, and constant separators. The
// concatenation is byte for byte render.ts's text (renderResource); test/backend/render-segments.test.ts checks it.
import type { Canonical } from "../backends/envoy/api/canonical.js";
import { canonicalOf } from "../backends/envoy/encode.js";
import type { EncodedResource, ResourceKind } from "../snapshot/types.js";
import { assignmentLines, GROUP_END, groupSplice, isPlainAssignment, isPlainRouteTable, priorityTail, renderGroup, renderResource, renderVirtualHost, routeTableLines } from "./render.js";

const LINE = ",\n      ";
const ITEM = ",\n        ";

export class SegmentRenderer {
  private readonly constants = new Map<string, Buffer>();
  private readonly resources = new WeakMap<EncodedResource, Buffer[]>();
  private readonly hosts = new WeakMap<Canonical, Buffer>();
  private readonly groups = new WeakMap<Canonical, Buffer[]>();

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
        if (hosts.length) return this.list(routeTableLines(r.typeUrl, c), "virtual_hosts", hosts.map((h) => [this.host(h)]));
      } else if (kind === "endpoint" && isPlainAssignment(c)) {
        const groups = (c.endpoints as Canonical[] | undefined) ?? [];
        if (groups.length) return this.list(assignmentLines(r.typeUrl, c), "endpoints", groups.map((g) => this.group(g)));
      }
    }
    return [this.bytes(renderResource(kind, r))];
  }

  /** `{ lines…, "<field>": [ items… ] }` at a resource's depth, as render.ts writes it. */
  private list(lines: string[], field: string, items: Buffer[][]): Buffer[] {
    const out = [this.bytes(`{\n      ${lines.join(LINE)}${LINE}${JSON.stringify(field)}: [\n        `)];
    items.forEach((segs, i) => {
      if (i) out.push(this.constant(ITEM));
      out.push(...segs);
    });
    out.push(this.constant("\n      ]\n    }"));
    return out;
  }

  private host(h: Canonical): Buffer {
    let b = this.hosts.get(h);
    if (b === undefined) {
      b = this.bytes(renderVirtualHost(h));
      this.hosts.set(h, b);
    }
    return b;
  }

  /** A locality group: a priority spliced into its base's shared bytes, or its own rendering. */
  private group(g: Canonical): Buffer[] {
    let segs = this.groups.get(g);
    if (segs === undefined) {
      const splice = groupSplice(g);
      if (splice) {
        const base = this.group(splice.base);
        const last = base[base.length - 1]!;
        const end = Buffer.byteLength(GROUP_END);
        segs = [...base.slice(0, -1), ...(last.length > end ? [last.subarray(0, last.length - end)] : []), this.constant(priorityTail(splice.priority))];
      } else segs = [this.bytes(renderGroup(g))];
      this.groups.set(g, segs);
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
