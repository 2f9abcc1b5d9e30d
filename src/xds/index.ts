// Public surface of the xDS server module.
export { startXdsServer, DEFAULT_XDS_ADDRESS, type XdsServer, type XdsServerOptions } from "./server.js";
export type { SnapshotChange } from "./cache.js";
export type { ProxyStatus, NackRecord, XdsApi } from "./stream.js";
export type { NodeInfo } from "./wire.js";
export { XDS_TYPES, typeByUrl, type XdsResourceType } from "./resource-types.js";
