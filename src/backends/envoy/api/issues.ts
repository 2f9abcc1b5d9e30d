// A problem found in an Envoy message before it leaves meshc: which resource, where in it, and what is wrong.
export interface EnvoyIssue {
  /** The resource, e.g. `Cluster "payments"`. */
  resource: string;
  /** Dotted field path inside the resource, e.g. `load_assignment.endpoints[0].lb_endpoints`; "" for the root. */
  path: string;
  message: string;
}

export function formatIssue(i: EnvoyIssue): string {
  return i.path ? `${i.resource}: ${i.path}: ${i.message}` : `${i.resource}: ${i.message}`;
}

export function joinPath(base: string, field: string | number): string {
  if (typeof field === "number") return `${base}[${field}]`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) return `${base}[${JSON.stringify(field)}]`;
  return base ? `${base}.${field}` : field;
}

/** Thrown by the throwing conveniences (encodeOrThrow, ...) with every issue found. */
export class EnvoyValidationError extends Error {
  constructor(readonly issues: EnvoyIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "EnvoyValidationError";
  }
}
