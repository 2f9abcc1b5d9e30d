// The default limits for evaluating mesh.ts (./isolate.ts), apart from the evaluator so that the command line can
// show them in --help without loading esbuild and the evaluation worker's modules (issue 12: `meshc serve` start-up).
export const DEFAULT_EVAL_TIMEOUT_MS = 30_000;
export const DEFAULT_EVAL_MAX_HEAP_MB = 1024;
/**
 * The TypeScript check of mesh.ts and its imports: a type that explodes (a distributive conditional doubling at each
 * step) costs TypeScript seconds to minutes and gigabytes per use before TS2589, so the check has limits too. The
 * 1,000-service statement-style mesh checks in about 6 s and 0.6 GB.
 */
export const DEFAULT_TYPECHECK_TIMEOUT_MS = 120_000;
export const TYPECHECK_MAX_HEAP_MB = 4096;
