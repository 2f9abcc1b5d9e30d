// Bootstraps: how a sidecar (Envoy) or a proxyless gRPC client finds `meshc serve`, or (static) carries its config.
export { renderBootstrap, checkBootstrap, formatBootstrap, BOOTSTRAP_TYPE, type XdsTlsFiles } from "./render.js";
export type { BootstrapOptions, BootstrapResult, BootstrapFormat, BootstrapTemplateData } from "./render.js";
export { renderGrpcBootstrap, checkGrpcBootstrap } from "./grpc.js";
export type { GrpcBootstrap, GrpcBootstrapOptions, GrpcBootstrapResult } from "./grpc.js";
export { DEFAULT_XDS, defaultInstanceId, formatXdsAddress, parseLocalityFlag, parseXdsAddress, resolveIdentity } from "./identity.js";
export type { NodeIdentity, XdsAddress } from "./identity.js";
export { BootstrapError, formatBootstrapIssue, type BootstrapIssue } from "./issues.js";
export { builtinTemplatePath } from "./template.js";
