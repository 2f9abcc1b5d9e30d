// V8 tuning for a serving process (`meshc serve`, its xDS workers) and for `meshc build`. A full sync after start
// (every proxy connecting at once: a restart, a reconnect storm) runs the xDS path (node:http2, streams, request decoding, response
// building) for the first time, and V8 optimizes those functions with TurboFan on its background threads while the
// herd is being served: measured at 1,000 proxies, those threads took about 0.75 s of the server's ~2 s of CPU for
// the sync (a third), recompiling many functions more than once after "wrong map" deoptimizations in node's
// stream and event code. On a small machine that CPU is taken from the proxies' side of the sync.
//
// A larger interrupt budget (the bytecode a function must run before V8 considers optimizing it) keeps code that
// runs a few thousand times in its baseline tier and optimizes what is really hot: 4x V8's default cut those
// threads to ~0.3 s with the main thread's CPU unchanged (bench/peers.ts, README "Against go-control-plane").
// Steady-state speed is unchanged: hot functions still reach TurboFan, a little later.
//
// Set at run time (v8.setFlagsFromString), before the first stream; it applies to functions that get their
// budget afterwards. An explicit --interrupt-budget in the node options (command line or NODE_OPTIONS) wins.
//
// `meshc build` is one short run over many functions, most of them called a few thousand times (the front end's walks
// over 1,000 services, the translator, rendering): with the default budget V8's background threads spent 1.3-1.5 s
// of CPU compiling for a rebuild after a one-line edit (more than the main thread's 1.2 s) and 2.5 s for a cold build,
// on a 2-core machine where that CPU is taken from the build's own threads. 8x the default cut those threads to
// 0.6 s and 1.0 s: the process's CPU 0.7-0.8 s and 0.7-1.1 s less; the main thread's unchanged on a rebuild, between
// unchanged and 0.3 s more on a cold build; the type-check thread's ~0.1 s more (`--interrupt-budget` on the command
// line wins, for A/B pairs). The flag is process-wide, so it applies to the build's worker threads too.
import v8 from "node:v8";

/** V8 11's default interrupt budget (--interrupt-budget), in bytes of bytecode. */
const V8_DEFAULT_BUDGET = 66 * 1024;
/** What serving processes use: 4x the default. */
export const SERVING_INTERRUPT_BUDGET = 4 * V8_DEFAULT_BUDGET;
/** What `meshc build` uses: 8x the default. */
export const BUILD_INTERRUPT_BUDGET = 8 * V8_DEFAULT_BUDGET;

let tuned = false;

/** Idempotent; a no-op when the process was started with its own --interrupt-budget. */
export function tuneJitForServing(): void {
  raiseInterruptBudget(SERVING_INTERRUPT_BUDGET);
}

/** For `meshc build` and every other one-shot command, before their modules are loaded (cli/entry.ts). Idempotent, and explicit flags win as above. */
export function tuneJitForBuild(): void {
  raiseInterruptBudget(BUILD_INTERRUPT_BUDGET);
}

function raiseInterruptBudget(budget: number): void {
  if (tuned) return;
  tuned = true;
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) => a.startsWith("--interrupt-budget"));
  if (!given) v8.setFlagsFromString(`--interrupt-budget=${budget}`);
}
