// Call-site capture. A DSL entry point calls captureSite(itself): V8 records the caller's frame cheaply, and the
// frame is only turned into a position when the site is first read (that part costs ~15 µs, and most sites, such
// as the site of a route's .timeout() call, are only read when validation reports a problem there).
// Positions are those of the running code (for a loaded mesh: the bundle); the loader maps them to the user's .ts
// lines through the bundle's source map.

/** A position in source code: file (path or file: URL), 1-based line and column; line 0 when unknown. */
export interface SourceSite {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

interface CallSiteLike {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
}

interface V8ErrorConstructor {
  stackTraceLimit: number;
  captureStackTrace?(target: object, constructorOpt?: Function): void;
  prepareStackTrace?: (error: Error, frames: CallSiteLike[]) => unknown;
}

const V8Error = Error as unknown as V8ErrorConstructor;
const framesOnly = (_error: Error, frames: CallSiteLike[]) => frames;

class CapturedSite implements SourceSite {
  #holder: { stack?: unknown } | undefined;
  #file = "";
  #line = 0;
  #column = 0;
  constructor(holder: { stack?: unknown } | undefined) {
    this.#holder = holder;
  }
  #resolve(): void {
    const holder = this.#holder;
    if (!holder) return;
    this.#holder = undefined;
    const previous = V8Error.prepareStackTrace;
    V8Error.prepareStackTrace = framesOnly;
    let frames: unknown;
    try {
      frames = holder.stack;
    } finally {
      V8Error.prepareStackTrace = previous;
    }
    const frame = Array.isArray(frames) ? (frames as CallSiteLike[])[0] : undefined;
    if (!frame) return;
    this.#file = frame.getFileName() ?? "";
    this.#line = this.#file ? (frame.getLineNumber() ?? 0) : 0;
    this.#column = this.#file ? (frame.getColumnNumber() ?? 0) : 0;
  }
  get file(): string {
    this.#resolve();
    return this.#file;
  }
  get line(): number {
    this.#resolve();
    return this.#line;
  }
  get column(): number {
    this.#resolve();
    return this.#column;
  }
  toJSON(): SourceSite {
    return { file: this.file, line: this.line, column: this.column };
  }
}

// Call marks (src/frontend/call-marks.ts): in a marked bundle, each call of the user's code records its number in a
// global just before it is made. The first time call k invokes a DSL function, the site is captured and kept if
// V8's position lies in call k's range (so call k called the function itself); later invocations of that function
// by call k get the kept site without a capture: the same position V8 would report, at almost no cost.
interface MarkGlobals {
  __meshcSiteMark?: number;
  __meshcSiteTable?: () => { url: string; ranges: number[] };
}
const marks = globalThis as MarkGlobals;
/** Per call number: the DSL function it was seen calling and the site captured then (undefined: not kept). */
let keptFor: { url: string; ranges: number[]; apis: (Function | undefined)[]; sites: (SourceSite | undefined)[] } | undefined;

function kept(k: number, api: Function): SourceSite {
  const table = marks.__meshcSiteTable;
  if (typeof table !== "function") return captureNow(api);
  if (!keptFor) {
    // The table is a global of the worker the user's code runs in: anything but the bundle's own means no keeping.
    const t = table() as { url?: unknown; ranges?: unknown } | undefined;
    if (typeof t?.url !== "string" || !Array.isArray(t.ranges)) return captureNow(api);
    keptFor = { url: t.url, ranges: t.ranges as number[], apis: [], sites: [] };
  }
  if (!Number.isInteger(k) || k < 0 || 4 * k + 3 >= keptFor.ranges.length) return captureNow(api);
  const hit = keptFor.sites[k];
  if (hit && keptFor.apis[k] === api) return hit;
  const site = captureNow(api);
  if (keptFor.apis[k] === undefined) {
    const r = keptFor.ranges;
    const { file, line, column } = site;
    const inside = file === keptFor.url && (line > r[4 * k]! || (line === r[4 * k] && column >= r[4 * k + 1]!)) && (line < r[4 * k + 2]! || (line === r[4 * k + 2] && column <= r[4 * k + 3]!));
    if (inside) {
      keptFor.apis[k] = api;
      keptFor.sites[k] = site;
    }
  }
  return site;
}

/** Records where `api` was called from (the frame just outside `api`). */
export function captureSite(api: Function): SourceSite {
  const k = marks.__meshcSiteMark;
  if (k !== undefined) {
    marks.__meshcSiteMark = undefined;
    return kept(k, api);
  }
  return captureNow(api);
}

function captureNow(api: Function): SourceSite {
  if (typeof V8Error.captureStackTrace !== "function") return new CapturedSite(undefined);
  const holder: { stack?: unknown } = {};
  const limit = V8Error.stackTraceLimit;
  V8Error.stackTraceLimit = 1;
  V8Error.captureStackTrace(holder, api);
  V8Error.stackTraceLimit = limit;
  return new CapturedSite(holder);
}
