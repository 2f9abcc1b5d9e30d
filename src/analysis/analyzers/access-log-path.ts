// MESH0604 AccessLogPathNotAbsolute: Envoy opens a relative access-log path against its own working directory,
// which differs between `meshc run`, containers and systemd; meshc requires an absolute path.
import { isAbsolute } from "node:path";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const accessLogPath: Analyzer = {
  name: "access-log-path",
  codes: ["AccessLogPathNotAbsolute"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const d = s.telemetry?.accessLog?.destination;
      if (d?.kind !== "file" || (isAbsolute(d.path) && d.path.startsWith("/"))) continue;
      ctx.report("AccessLogPathNotAbsolute", s.telemetry?.source ?? s.source, ["services", s.name, "telemetry", "accessLog", "to", "file"], {
        path: q(d.path),
        service: q(s.name),
      });
    }
  },
};
