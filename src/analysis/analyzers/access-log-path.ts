// MESH0604 AccessLogPathNotAbsolute: Envoy opens a relative access-log path against its own working directory,
// which differs between `meshc run`, containers and systemd; meshc requires an absolute path. A NUL in the path is
// refused too (as for the gateway's and external services' TLS files): Envoy opens the path as a C string, so it
// would silently write to the file named by the part before the NUL.
import { isAbsolute } from "node:path";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const accessLogPath: Analyzer = {
  name: "access-log-path",
  codes: ["AccessLogPathNotAbsolute"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const d = s.telemetry?.accessLog?.destination;
      if (d?.kind !== "file") continue;
      const absolute = isAbsolute(d.path) && d.path.startsWith("/");
      const nul = d.path.includes("\0");
      if (absolute && !nul) continue;
      ctx.report("AccessLogPathNotAbsolute", s.telemetry?.source ?? s.source, ["services", s.name, "telemetry", "accessLog", "to", "file"], {
        path: q(d.path),
        service: q(s.name),
        problem: !absolute ? "is not absolute" : "contains a NUL character, where Envoy would cut it and write another file",
      });
    }
  },
};
