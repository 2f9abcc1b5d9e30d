// Cancellation points for a compile that `meshc serve` may cancel at shutdown (the AbortSignal of its load): the
// synchronous stages hand the event loop back between steps, so a SIGTERM handler can run and abort, and awaits on
// work that cannot be interrupted itself (esbuild) stop waiting at once. Without a signal both are no-ops in effect.
import { setImmediate as nextTurn } from "node:timers/promises";

/** Lets pending I/O and signal handlers run, then throws the signal's reason if it was aborted meanwhile. */
export async function yieldTurn(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return;
  await nextTurn();
  signal.throwIfAborted();
}

/** `p`, or a rejection with the signal's reason as soon as it aborts (p then runs on, its result unused). */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
