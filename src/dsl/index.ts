// The public DSL, imported by mesh.ts files as "meshc". See docs/dsl.md.
export { defineMesh, type Mesh, type MeshDefinition, type MeshOptions, type TcpRouteOptions } from "./mesh.js";
export {
  defineService,
  dns,
  grpc,
  http,
  http2,
  tcp,
  type DnsInstances,
  type Instance,
  type InstanceOptions,
  type PortOptions,
  type PortRef,
  type PortSpec,
  type ServiceOptions,
  type ServiceRef,
  type SidecarOptions,
  type SubsetRef,
  type Target,
} from "./service.js";
export type { ExternalOptions, ExternalTlsOptions } from "./external.js";
export type { CorsOptions, CorsOrigin } from "./cors.js";
export type { GatewayListenerOptions, GatewayListeners, GatewayOptions, GatewayPortName } from "./gateway.js";
export { istioRetries } from "./retries.js";
export { etcd, registry, type DiscoveryOptions, type EtcdOptions, type EtcdTlsOptions, type RegistryInstances } from "./discovery.js";
export type { FinalRoute, ForwardRoute, Route, RouteCommon, RouteFactory, RouteStart } from "./routes.js";
export type * from "./types.js";
export type { AccessLogDestination, AccessLogFilter, AccessLogOptions, Collector, MetricsOptions, TelemetryOptions, TracingOptions } from "./telemetry.js";
export type { SourceSite } from "./site.js";
export type { PatchFunction, PatchKind, PatchResources, PatchTarget } from "./patch.js";
export type * as envoy from "./envoy-api.js";
export type * as model from "./model.js";
export { isMeshDefinition } from "./guards.js";
export type {
  AuthorizationRule,
  AuthorizeOptions,
  AuthzAction,
  AuthzRequestMatch,
  Caller,
  HeaderValueMatch,
  MeshAuthorizeOptions,
  PathMatch,
} from "./authorize.js";
