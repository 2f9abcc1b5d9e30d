// The front end's public surface: mesh.ts -> IR + diagnostics.
export { loadMesh, compareDiagnostics, type LoadOptions, type LoadResult, type Stage } from "./load.js";
export { codes } from "./codes.js";
export { lower, DEFAULTS, type LowerResult } from "./lower.js";
export { validateModel } from "./validate.js";
export { typecheck } from "./typecheck.js";
export { durationMs } from "./duration.js";
