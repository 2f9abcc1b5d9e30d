// MESH0609 TcpAccessLogFilterPartial: access logs cover a sidecar's TCP listeners too (tcp_proxy), but a TCP
// connection has no response code, so `errorsOnly` there keeps only connections Envoy flagged (UF, UH, UO, ...).
// Reported when errorsOnly is set for a sidecar that has a TCP port of its own or calls a service's TCP port.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const tcpAccessLog: Analyzer = {
  name: "tcp-access-log",
  codes: ["TcpAccessLogFilterPartial"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const a = s.telemetry?.accessLog;
      if (!a?.errorsOnly || s.proxyless) continue;
      const own = s.ports.filter((p) => p.protocol === "tcp").map((p) => `port ${q(p.name)}`);
      const called = s.calls.flatMap((n) => (ctx.service(n)?.ports ?? []).filter((p) => p.protocol === "tcp").map((p) => `upstream ${q(`${n}:${p.name}`)}`));
      const tcp = [...own, ...called];
      if (tcp.length === 0) continue;
      ctx.report("TcpAccessLogFilterPartial", s.telemetry?.source ?? s.source, ["services", s.name, "telemetry", "accessLog", "filter", "errorsOnly"], {
        service: q(s.name),
        ports: tcp.join(", "),
      });
    }
  },
};
