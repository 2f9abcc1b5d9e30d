// The golden of mesh.patch() (test/patch/golden.test.ts): a listener, a cluster and a route-table patch on web,
// one through an Any (the connection manager inside the inbound listener). Every proxy passes envoy --mode validate.
import { defineMesh, http, type envoy } from "meshc";

const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

export default defineMesh({ name: "shop", trustDomain: "shop.example" }, (mesh) => {
  const catalog = mesh.service("catalog", { ports: { web: http(8080, { app: 3000 }) }, instances: ["10.0.1.10:8080"] });
  const web = mesh.service("web", { ports: { web: http(8081, { app: 3001 }) }, instances: ["10.0.1.20:8081"], calls: [catalog] });

  mesh.patch({ proxies: [web], kind: "cluster", name: "outbound|8080||catalog" }, (c) => {
    c.per_connection_buffer_limit_bytes = { value: 65536 };
  });

  mesh.patch({ proxies: [web], kind: "listener", name: "inbound|8081" }, (l) => {
    l.per_connection_buffer_limit_bytes = { value: 32768 };
    for (const chain of l.filter_chains ?? []) {
      for (const f of chain.filters ?? []) {
        const cfg = f.typed_config as (envoy.AnyMessage & envoy.HttpConnectionManager) | undefined;
        if (cfg?.["@type"] === HCM) cfg.server_name = "shop-mesh";
      }
    }
  });

  mesh.patch({ proxies: [web], kind: "route" }, (rc) => ({
    ...rc,
    virtual_hosts: (rc.virtual_hosts ?? []).map((vh) => {
      const header: envoy.HeaderValueOption = { header: { key: "x-mesh-patched", value: "1" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" };
      return { ...vh, response_headers_to_add: [...(vh.response_headers_to_add ?? []), header] };
    }),
  }));
});
