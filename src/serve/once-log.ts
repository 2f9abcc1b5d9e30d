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
