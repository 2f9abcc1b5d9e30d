// A problem that persists (an expired CA, a broken CA directory) is logged when it starts or changes, not on every
// tick that meets it again.

/** Logs a message once per distinct key (a problem that persists is not repeated every tick). */
export class OnceLog {
  private last: string | undefined;
  constructor(private readonly log: (msg: string) => void) {}
  report(key: string, msg = key): void {
    if (key === this.last) return;
    this.last = key;
    this.log(msg);
  }
  clear(): void {
    this.last = undefined;
  }
}

/**
 * What identifies an error's problem for OnceLog: its `key` when it has one (CaError, CaValidityError: the message
 * without the current time, which a "not valid until …, it is now …" message shows), else its message.
 */
export function problemKey(err: unknown): string {
  const key = (err as { key?: unknown })?.key;
  return typeof key === "string" ? key : err instanceof Error ? err.message : String(err);
}
