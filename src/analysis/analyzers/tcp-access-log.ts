// MESH0609 TcpAccessLogFilterPartial: access logs cover a sidecar's TCP listeners too (tcp_proxy), but a TCP
// connection has no response code, so `errorsOnly` there keeps only connections Envoy flagged (UF, UH, UO, ...).
// Reported when errorsOnly is set for a sidecar that has a TCP listener: an inbound one for a TCP port of its own,
// or an outbound one for a TCP port it calls (the listeners the backend builds, tcpUpstreams). Services without a
// meshc sidecar have none: an external or nonMesh service runs no proxy, a proxyless client logs nothing (MESH0605),
// and an ingress gateway has only its HTTP(S) listeners.
import { tcpUpstreams } from "../../backends/envoy/tcp.js";
import type { ServiceIR } from "../../ir/types.js";
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

export const tcpAccessLog: Analyzer = {
  name: "tcp-access-log",
  codes: ["TcpAccessLogFilterPartial"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      const a = s.telemetry?.accessLog;
      if (!a?.errorsOnly || s.proxyless || s.gateway || s.external || s.nonMesh) continue;
      const own = s.ports.filter((p) => p.protocol === "tcp").map((p) => `port ${q(p.name)}`);
      const upstreams = s.calls.map((n) => ctx.service(n)).filter((u): u is ServiceIR => u !== undefined);
      const called = tcpUpstreams(s, upstreams).map((t) => `upstream ${q(`${t.upstream.name}:${t.port.name}`)}`);
      const tcp = [...own, ...called];
      if (tcp.length === 0) continue;
      ctx.report("TcpAccessLogFilterPartial", s.telemetry?.source ?? s.source, ["services", s.name, "telemetry", "accessLog", "filter", "errorsOnly"], {
        service: q(s.name),
        ports: tcp.join(", "),
      });
    }
  },
};
