// A lazy source-map lookup: one cheap pass records the decoder state at the start of each generated line; a line's
// segments are decoded only when a position on it is looked up. (node:module's SourceMap decodes everything up
// front: ~200 ms for a 1,000-service mesh, while a load needs a few thousand lookups.)

export interface RawSourceMap {
  version: number;
  sources: string[];
  mappings: string;
  names?: string[];
}

export interface OriginalPosition {
  source: string;
  /** 0-based */
  line: number;
  /** 0-based */
  column: number;
}

const B64 = new Int8Array(128).fill(-1);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach((c, i) => (B64[c.charCodeAt(0)] = i));
const SEMI = 59;
const COMMA = 44;

export class LazySourceMap {
  /** Per generated line: offset into mappings, then source, original line, original column at its start. */
  private starts?: Int32Array;
  private readonly lines = new Map<number, Int32Array>();
  constructor(readonly map: RawSourceMap) {}

  private index(): Int32Array {
    if (this.starts) return this.starts;
    const m = this.map.mappings;
    let count = 1;
    for (let i = 0; i < m.length; i++) if (m.charCodeAt(i) === SEMI) count++;
    const starts = new Int32Array(count * 4);
    const state = [0, 0, 0, 0, 0]; // genCol, source, origLine, origCol, name
    let line = 0;
    let field = 0;
    let value = 0;
    let shift = 0;
    starts[0] = 0;
    for (let i = 0; i < m.length; i++) {
      const c = m.charCodeAt(i);
      if (c === SEMI || c === COMMA) {
        field = 0;
        if (c === SEMI) {
          line++;
          starts[line * 4] = i + 1;
          starts[line * 4 + 1] = state[1]!;
          starts[line * 4 + 2] = state[2]!;
          starts[line * 4 + 3] = state[3]!;
        }
        continue;
      }
      const digit = B64[c]!;
      value += (digit & 31) << shift;
      if (digit & 32) {
        shift += 5;
        continue;
      }
      const delta = value & 1 ? -(value >>> 1) : value >>> 1;
      if (field > 0) state[field] = state[field]! + delta;
      field++;
      value = 0;
      shift = 0;
    }
    return (this.starts = starts);
  }

  /** Segments of a generated line as [genCol, source, origLine, origCol]* (only segments with a source). */
  private decodeLine(line: number): Int32Array {
    const hit = this.lines.get(line);
    if (hit) return hit;
    const starts = this.index();
    const m = this.map.mappings;
    const out: number[] = [];
    if (line * 4 < starts.length) {
      let i = starts[line * 4]!;
      const st = [0, starts[line * 4 + 1]!, starts[line * 4 + 2]!, starts[line * 4 + 3]!, 0];
      let field = 0;
      let value = 0;
      let shift = 0;
      const flush = () => {
        if (field >= 4) out.push(st[0]!, st[1]!, st[2]!, st[3]!);
        field = 0;
      };
      for (; i < m.length; i++) {
        const c = m.charCodeAt(i);
        if (c === SEMI) break;
        if (c === COMMA) {
          flush();
          continue;
        }
        const digit = B64[c]!;
        value += (digit & 31) << shift;
        if (digit & 32) {
          shift += 5;
          continue;
        }
        const delta = value & 1 ? -(value >>> 1) : value >>> 1;
        st[field] = st[field]! + delta;
        field++;
        value = 0;
        shift = 0;
      }
      flush();
    }
    const segs = Int32Array.from(out);
    this.lines.set(line, segs);
    return segs;
  }

  /** Original position of a generated one (0-based): the last mapped segment at or before it on the same line. */
  find(line: number, column: number): OriginalPosition | undefined {
    const segs = this.decodeLine(line);
    let best = -1;
    for (let k = 0; k < segs.length; k += 4) {
      if (segs[k]! > column) break;
      best = k;
    }
    if (best < 0) return undefined;
    const source = this.map.sources[segs[best + 1]!];
    return source === undefined ? undefined : { source, line: segs[best + 2]!, column: segs[best + 3]! };
  }
}
