// The evaluation worker's second phase, for meshes with mesh.patch() calls (issue 13): the worker that evaluated
// mesh.ts stays alive, keeps the patch functions, and answers one "apply" message from the compiler with the
// patched resources. It runs in the same worker as the evaluation, so the same limits hold (--eval-timeout,
// --eval-max-heap; the parent terminates it). Determinism: once the model is encoded, every timer the module
// left is cancelled and no new one can start (nothing can change a patch's closure while the compiler runs), and the clock
// and randomness (Date.now, new Date(), performance.now, Math.random, crypto.getRandomValues/randomUUID,
// process.hrtime) throw a NondeterministicPatch error, so a patch computes the same output on every run.
// Resources cross as JSON text both ways: plain data only, and a patch's return value cannot smuggle a getter or
// a function into the compiler. Imported by eval-worker.ts; dependency-free like it.

/** One resource to patch: the patches to apply in order (indexes into model.patches) and the input JSON. */
export interface PatchJob {
  patches: number[];
  input: string;
}

export type PatchJobResult =
  | { ok: true; output: string }
  | { ok: false; patch: number; reason: "threw" | "nondeterministic" | "async" | "not-object" | "unserializable"; error: { name?: string; message: string; stack?: string } };

export type ApplyRequest = { kind: "apply"; jobs: PatchJob[] };
export type ApplyReply = { kind: "applied"; results: PatchJobResult[] };

const NONDETERMINISTIC = "NondeterministicPatch";

type TimerFn = (...args: never[]) => unknown;
const handles: { clear: (h: unknown) => void; handle: unknown }[] = [];

/** Records every timer the module starts (installed before the module is imported). */
export function trackTimers(): void {
  const g = globalThis as unknown as Record<string, TimerFn>;
  for (const [set, clear] of [["setTimeout", "clearTimeout"], ["setInterval", "clearInterval"], ["setImmediate", "clearImmediate"]] as const) {
    const original = g[set]!;
    const clearFn = g[clear]! as unknown as (h: unknown) => void;
    const wrapper = ((...args: never[]) => {
      const handle = (original as (...a: never[]) => unknown)(...args);
      handles.push({ clear: clearFn, handle });
      return handle;
    }) as TimerFn;
    // Same own properties (e.g. util.promisify.custom), so code that inspects the timer functions sees no change.
    Object.defineProperties(wrapper, Object.getOwnPropertyDescriptors(original));
    g[set] = wrapper;
  }
}

function refuse(what: string): never {
  const e = new Error(`${what} is not available to a patch: patches must compute the same output on every compile (no clock, no randomness, no timers)`);
  e.name = NONDETERMINISTIC;
  throw e;
}

let frozen = false;

/**
 * Cancels the module's timers and takes the clock, randomness and timers away from everything that runs next.
 * Called as soon as the model is encoded (before it is posted), so nothing the module left can run between the
 * evaluation and the patches.
 */
export function freeze(): void {
  if (frozen) return;
  frozen = true;
  for (const { clear, handle } of handles.splice(0)) clear(handle);
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ["setTimeout", "setInterval", "setImmediate", "queueMicrotask"]) g[name] = () => refuse(`${name}()`);
  const RealDate = Date;
  const FrozenDate = function (this: unknown, ...args: unknown[]) {
    if (!new.target) refuse("Date()");
    if (args.length === 0) refuse("new Date()");
    return Reflect.construct(RealDate, args, new.target);
  } as unknown as DateConstructor;
  Object.setPrototypeOf(FrozenDate, RealDate);
  (FrozenDate as { prototype: Date }).prototype = RealDate.prototype;
  Object.defineProperty(FrozenDate, "now", { value: () => refuse("Date.now()") });
  g.Date = FrozenDate;
  Math.random = () => refuse("Math.random()");
  if (typeof performance !== "undefined") Object.defineProperty(performance, "now", { value: () => refuse("performance.now()"), configurable: true });
  const c = (globalThis as unknown as { crypto?: object }).crypto;
  if (c) {
    for (const name of ["getRandomValues", "randomUUID"]) {
      try {
        Object.defineProperty(c, name, { value: () => refuse(`crypto.${name}()`), configurable: true });
      } catch {
        /* not configurable: left alone */
      }
    }
  }
  const hrtime = Object.assign(() => refuse("process.hrtime()"), { bigint: () => refuse("process.hrtime.bigint()") });
  Object.defineProperty(process, "hrtime", { value: hrtime, configurable: true });
}

function describe(error: unknown): { name?: string; message: string; stack?: string } {
  const cut = (s: string) => (s.length > 8192 ? `${s.slice(0, 8192)}…` : s);
  try {
    const e = error as { name?: unknown; message?: unknown; stack?: unknown };
    if (typeof e === "object" && e !== null && typeof e.message === "string") {
      return {
        message: cut(e.message),
        ...(typeof e.name === "string" ? { name: cut(e.name) } : {}),
        ...(typeof e.stack === "string" ? { stack: cut(e.stack) } : {}),
      };
    }
    return { message: cut(`non-error value thrown: ${String(error)}`) };
  } catch {
    return { message: "an unprintable value was thrown" };
  }
}

/** Applies each job's patches in order; a failing patch ends its job (the compiler fails closed on it). */
export function applyPatches(fns: readonly unknown[], jobs: readonly PatchJob[]): PatchJobResult[] {
  freeze();
  const results: PatchJobResult[] = [];
  for (const job of jobs) {
    let current: unknown = JSON.parse(job.input);
    let failed: PatchJobResult | undefined;
    for (const i of job.patches) {
      const fn = fns[i];
      let out: unknown;
      try {
        if (typeof fn !== "function") throw new Error(`patch ${i} is not a function`);
        out = fn(current);
      } catch (error) {
        const d = describe(error);
        failed = { ok: false, patch: i, reason: d.name === NONDETERMINISTIC ? "nondeterministic" : "threw", error: d };
        break;
      }
      if (out === undefined) continue; // edited in place
      if (out !== null && typeof out === "object" && typeof (out as { then?: unknown }).then === "function") {
        failed = { ok: false, patch: i, reason: "async", error: { message: "the patch returned a promise: patches are synchronous" } };
        break;
      }
      if (out === null || typeof out !== "object" || Array.isArray(out)) {
        failed = { ok: false, patch: i, reason: "not-object", error: { message: `the patch returned ${out === null ? "null" : Array.isArray(out) ? "a list" : typeof out}, not a resource object (return the resource, or nothing after editing it in place)` } };
        break;
      }
      current = out;
    }
    if (failed) {
      results.push(failed);
      continue;
    }
    try {
      results.push({ ok: true, output: JSON.stringify(current) });
    } catch (error) {
      results.push({ ok: false, patch: job.patches[job.patches.length - 1]!, reason: "unserializable", error: describe(error) });
    }
  }
  return results;
}
