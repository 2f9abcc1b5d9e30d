// The path-normalization corpus (R14, reliability-cases.md §3): request targets that try to reach /admin past a
// policy that denies /admin and below and allows /public/. Classes: percent-encoded letters and slashes, "." and
// ".." segments (plain and encoded), doubled slashes, mixed case, trailing slash, ";" parameters, query and
// fragment characters, overlong and invalid UTF-8, backslashes. Each base is combined with tails, so every class
// also appears with a trailing slash, a sub-path, a query and a parameter.

const BASES = [
  // plain and case
  "/admin", "/ADMIN", "/Admin", "/aDmIn",
  // percent-encoded letters (both hex cases) and a double-encoded one
  "/%61dmin", "/%61%64%6d%69%6e", "/%61%64%6D%69%6E", "/ad%6Din", "/%41DMIN", "/%2561dmin",
  // encoded slashes and backslashes
  "/public%2F..%2Fadmin", "/public/..%2Fadmin", "/public/..%2fadmin", "/public%2f%2e%2e%2fadmin", "/public/..%5Cadmin", "/public/..%5cadmin", "/%2Fadmin", "/%5Cadmin", "%2Fadmin",
  // dot segments, plain and encoded
  "/public/../admin", "/public/./../admin", "/./admin", "/public/x/../../admin", "/public/%2e%2e/admin", "/public/%2E%2E/admin", "/public/.%2e/admin", "/public/%2e./admin",
  "/public/../../../admin", "/../admin", "/.%2e/admin", "/public/..", "/public/../ADMIN",
  // doubled slashes
  "//admin", "///admin", "/public//../admin", "/public/..//admin", "//public/../admin", "/public//..//admin",
  // ; parameters
  "/admin;x=1", "/public/..;/admin", "/public/.;/../admin", "/admin;/x", "/public;x/../admin", "/public/..;x=1/admin", "/public/%2e%2e;/admin", "/public/..%3b/admin", "/public/..%3B/admin",
  "/ad;x/min", "/admin%3bx",
  // query and fragment characters
  "/admin?x=1", "/public/?/../admin", "/admin#frag", "/public/#/../admin", "/public/x?a=/../admin", "/public/%3F/../admin", "/public/%23/../admin", "/admin%3Fx",
  // overlong and invalid UTF-8 (as escapes and as raw bytes)
  "/public/%c0%ae%c0%ae/admin", "/public/..%c0%afadmin", "/public/..%e0%80%afadmin", "/%c1%a1dmin", "/admin%ff", "/public/%ff/../admin", "/public/\u00c0\u00ae\u00c0\u00ae/admin", "/admin\u00ff",
  // backslashes
  "/public\\..\\admin", "\\admin", "/public/..\\admin", "/\\admin", "/public\\../admin",
  // absolute-form target
  "http://api/public/../admin",
];

const TAILS = ["", "/", "/secret", "?q=1", ";p=1"];

export function pathCorpus(): string[] {
  const out = new Set<string>();
  for (const b of BASES) for (const t of TAILS) out.add(b + t);
  return [...out];
}

/**
 * What a lenient app could make of the target it received: query and fragment dropped, ";" parameters dropped
 * from every segment, percent-escapes decoded once (invalid UTF-8 byte by byte), backslashes read as slashes, dot
 * segments resolved, slashes merged, case folded. An app seeing "/admin…" this way must never have been reached.
 */
export function appView(target: string): string {
  let t = target.replace(/^https?:\/\/[^/]*/i, "");
  t = t.split(/[?#]/)[0]!;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  };
  // Overlong forms of "." and "/" that lenient UTF-8 decoders accept.
  let d = decode(t).replace(/\u00c0\u00ae|\u00e0\u0080\u00ae/g, ".").replace(/\u00c0\u00af|\u00e0\u0080\u00af/g, "/").replace(/\u00c1\u00a1/g, "a");
  d = d.replace(/\\/g, "/");
  const segs: string[] = [];
  for (const raw of d.split("/")) {
    const s = raw.split(";")[0]!;
    if (s === "" || s === ".") continue;
    if (s === "..") segs.pop();
    else segs.push(s);
  }
  return ("/" + segs.join("/")).toLowerCase();
}

export const reachesAdmin = (target: string) => /^\/admin(\/|$|[^a-z0-9])/.test(appView(target)) || appView(target) === "/admin";
