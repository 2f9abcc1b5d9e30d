// Front-end diagnostic codes (MESH00xx). Analysis owns MESH01xx-04xx. Documented in docs/dsl.md.
export const codes = {
  /** TypeScript reports an error in a mesh module (e.g. an unknown subset, a malformed duration). */
  TypeError: "MESH0001",
  /** Bundling or evaluating mesh.ts failed (an exception, a missing default export). */
  EvaluationError: "MESH0002",
  /** The evaluated model breaks a rule types cannot express (a port above 65535, a percent above 100). */
  InvalidValue: "MESH0003",
  /** routes/tcpRoute/policy given for a service that was never declared in (or added to) this mesh. */
  ServiceNotInMesh: "MESH0004",
  /** The same setting given twice for one service (a policy option, a TCP route, a TCP outbound port). */
  ConflictingSetting: "MESH0005",
  /** The evaluation ended without a mesh: process.exit(), an uncaught error, the time or heap limit. */
  EvaluationAborted: "MESH0006",
} as const;
