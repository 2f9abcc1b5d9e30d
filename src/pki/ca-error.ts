// The error of a CA directory that cannot be used (src/pki/ca-dir.ts). In a module of its own, free of imports, so
// `meshc serve` can tell it apart (a configuration error: one line, exit 2) without loading the X.509 library when
// it runs without --ca.

/**
 * A CA directory that cannot be used: the message names the file and the problem. `key` is the problem without
 * the current time (the message may show it), which is what "logged once per problem" compares.
 */
export class CaError extends Error {
  override name = "CaError";
  constructor(
    message: string,
    readonly key: string = message,
  ) {
    super(message);
  }
}
