// Text a proxy, an Envoy or a mesh controls, made safe to print on a terminal: C0 and C1 controls, DEL and the
// bidirectional overrides become visible escapes, so an ESC sequence (a window title, a clipboard write, hidden
// text), a carriage return or a newline in a node id or a NACK message cannot rewrite or forge the lines around it.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
