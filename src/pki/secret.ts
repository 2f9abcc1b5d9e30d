// A private key (PEM) that cannot leak by accident: JSON.stringify, String(), template literals and
// util.inspect (console.log, debug dumps) all print "[redacted]". Only reveal() returns the key, and it is called
// where the key is written to a 0600 file or encoded into an SDS Secret for the proxy that owns it.
import { inspect } from "node:util";

const REDACTED = "[redacted private key]";

export class SecretPem {
  readonly #pem: string;

  constructor(pem: string) {
    this.#pem = pem;
  }

  reveal(): string {
    return this.#pem;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
