// MESH0324 InvalidRedirect, MESH0325 InvalidRewrite: the host, path and prefix a route redirects to or rewrites
// with. Envoy's schema takes any header-safe string there, so a host with a space or a path without a leading "/"
// reaches clients and upstreams as a broken Location or :path. meshc requires what can be right:
//   - host: a DNS name, IPv4 address or [IPv6] address, optionally with :port (1-65535); not empty (proto3 treats
//     "" as unset, so the setting would silently do nothing);
//   - redirect path: starts with "/", no whitespace or "#" (a "?query" is allowed: Envoy documents it);
//   - redirect prefix, rewrite prefix and full path: start with "/", no whitespace, "?" or "#"; a full path also
//     no "\" (Envoy hands it to RE2 as a substitution, where "\" starts a backreference).
// NUL, CR and LF are MESH0310's.
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";

const LABEL = "[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?";
const HOST = new RegExp(`^(?:(?:${LABEL})(?:\\.(?:${LABEL}))*\\.?|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);
const SPACE = /[ \t\f\v\u00a0]/;

export function hostProblem(host: string): string | undefined {
  if (host === "") return "it is empty";
  const m = HOST.exec(host);
  if (!m) return "it is not a host name, IP address or [IPv6 address], with an optional :port";
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return `port ${m[2]} is not from 1 to 65535`;
  return undefined;
}

export function pathProblem(path: string, allow: { query: boolean; backslash: boolean }): string | undefined {
  if (!path.startsWith("/")) return path === "" ? "it is empty" : 'it does not start with "/"';
  if (SPACE.test(path)) return "it contains whitespace (write %20)";
  if (path.includes("#")) return 'it contains "#", which a request path cannot carry';
  if (!allow.query && path.includes("?")) return 'it contains "?": the query string is kept from the request';
  if (!allow.backslash && path.includes("\\")) return 'it contains "\\", which Envoy reads as a regex substitution escape';
  return undefined;
}

const HOST_ADVICE = 'Give a host such as "example.com", "example.com:8443", "10.0.0.1" or "[fd00::1]", or leave the host out to keep the request\'s.';
const PATH_ADVICE = 'Give an absolute path such as "/new/path" (percent-encode spaces and "#" as %20 and %23).';

export const redirectRewrite: Analyzer = {
  name: "redirect-rewrite",
  codes: ["InvalidRedirect", "InvalidRewrite"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      s.routes.forEach((r, i) => {
        const at = routeSource(s, r);
        const base = ["services", s.name, "routes", i, "action"];
        const a = r.action;
        if (a.kind === "redirect") {
          const check = (field: "host" | "path" | "prefix", value: string | undefined, problem: (v: string) => string | undefined) => {
            if (value === undefined) return;
            const reason = problem(value);
            if (reason) ctx.report("InvalidRedirect", at, [...base, field], { field, value: q(value), route: q(r.name), reason, advice: field === "host" ? HOST_ADVICE : PATH_ADVICE });
          };
          check("host", a.host, hostProblem);
          check("path", a.path, (v) => pathProblem(v, { query: true, backslash: true }));
          check("prefix", a.prefix, (v) => pathProblem(v, { query: false, backslash: true }));
        } else if (a.kind === "forward" && a.rewrite) {
          const rw = a.rewrite;
          const check = (field: "host" | "prefix" | "fullPath", label: string, value: string | undefined, problem: (v: string) => string | undefined) => {
            if (value === undefined) return;
            const reason = problem(value);
            if (reason) ctx.report("InvalidRewrite", at, [...base, "rewrite", field], { field: label, value: q(value), route: q(r.name), reason, advice: field === "host" ? HOST_ADVICE : PATH_ADVICE });
          };
          check("host", "host", rw.host, hostProblem);
          check("prefix", "prefix", rw.prefix, (v) => pathProblem(v, { query: false, backslash: true }));
          check("fullPath", "full path", rw.fullPath, (v) => pathProblem(v, { query: false, backslash: false }));
        }
      });
    }
  },
};
