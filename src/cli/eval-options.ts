// The flags that bound evaluating mesh.ts (see src/frontend/isolate.ts), shared by every command that loads a mesh:
// --eval-timeout <seconds>, --eval-max-heap <MiB> and --typecheck-timeout <seconds>. A malformed value is a usage error (exit 2).
import { InvalidArgumentError, Option, type Command } from "@commander-js/extra-typings";
import { DEFAULT_EVAL_MAX_HEAP_MB, DEFAULT_EVAL_TIMEOUT_MS, DEFAULT_TYPECHECK_TIMEOUT_MS } from "../frontend/eval-defaults.js";
import type { EvalLimits } from "../frontend/isolate.js";

function positive(what: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > max) throw new InvalidArgumentError(`expected ${what} (a number above 0, at most ${max})`);
    return n;
  };
}

/** Adds --eval-timeout and --eval-max-heap to a command. */
export function addEvalOptions<C extends Command<any, any, any>>(cmd: C): C {
  cmd.addOption(
    new Option("--eval-timeout <seconds>", `wall-clock limit for evaluating mesh.ts (default: ${DEFAULT_EVAL_TIMEOUT_MS / 1000})`).argParser(positive("seconds", 86_400)),
  );
  cmd.addOption(new Option("--eval-max-heap <MiB>", `heap limit for evaluating mesh.ts (default: ${DEFAULT_EVAL_MAX_HEAP_MB})`).argParser(positive("MiB", 1_048_576)));
  cmd.addOption(
    new Option("--typecheck-timeout <seconds>", `wall-clock limit for type-checking mesh.ts (default: ${DEFAULT_TYPECHECK_TIMEOUT_MS / 1000})`).argParser(positive("seconds", 86_400)),
  );
  return cmd;
}

/** The EvalLimits a command's parsed options ask for. */
export function evalLimits(opts: { evalTimeout?: number; evalMaxHeap?: number; typecheckTimeout?: number }): EvalLimits {
  const limits: EvalLimits = {};
  if (opts.typecheckTimeout !== undefined) limits.typecheckTimeoutMs = Math.round(opts.typecheckTimeout * 1000);
  if (opts.evalTimeout !== undefined) limits.timeoutMs = Math.round(opts.evalTimeout * 1000);
  if (opts.evalMaxHeap !== undefined) limits.maxHeapMb = Math.max(16, Math.round(opts.evalMaxHeap));
  return limits;
}
