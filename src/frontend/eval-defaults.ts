// The default limits for evaluating mesh.ts (./isolate.ts), apart from the evaluator so that the command line can
// show them in --help without loading esbuild and the evaluation worker's modules (issue 12: `meshc serve` start-up).
export const DEFAULT_EVAL_TIMEOUT_MS = 30_000;
export const DEFAULT_EVAL_MAX_HEAP_MB = 1024;
