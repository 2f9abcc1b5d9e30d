// The registry of diagnostic codes: one entry per stable code, with its PascalCase name, severity, a one-line
// description, and templates for the message and the hint. Messages are built only from these templates, so a
// code's wording changes in one place and tests assert codes and paths, not prose (typescript-eslint's messageId
// model). Placeholders are `{name}`; analyzers pass values already quoted (see `q` in ./format.ts).
//
// Ranges: 00xx front end (load, evaluate, schema), 01xx references, 02xx conflicts, 03xx routing and Envoy
// limits, 04xx resilience, 05xx identity, 06xx telemetry, 07xx authorization, 08xx service discovery, 10xx mesh tests. A code, once published, keeps its number, name and meaning forever;
// a retired code stays reserved. Every code is documented in docs/diagnostics.md (a test checks both ways).
import type { Severity } from "../diagnostics/types.js";

export interface CodeInfo {
  readonly code: string;
  readonly severity: Severity;
  readonly description: string;
  readonly message: string;
  readonly hint: string;
}

export const CODES = {
  // 00xx: front end (emitted by src/frontend, not by analyze(); names match src/frontend/codes.ts).
  TypeError: {
    code: "MESH0001",
    severity: "error",
    description: "TypeScript reports an error in mesh.ts or a module it imports (an unknown subset, a malformed duration, ...).",
    message: "{message}",
    hint: "Fix the type error. References to services, ports and subsets are typed values, so most typos surface here first.",
  },
  EvaluationError: {
    code: "MESH0002",
    severity: "error",
    description: "Bundling or running the mesh module failed (an exception, a missing default export).",
    message: "{message}",
    hint: "Make the module run without throwing and `export default defineMesh(...)`.",
  },
  InvalidValue: {
    code: "MESH0003",
    severity: "error",
    description: "The evaluated model breaks a rule types cannot express (a port above 65535, a percent above 100, ...).",
    message: "{message}",
    hint: "Change the value to one the message allows.",
  },
  ServiceNotInMesh: {
    code: "MESH0004",
    severity: "error",
    description: "Routes, a TCP route or a policy are given for a service that was never declared in (or added to) this mesh.",
    message: "{message}",
    hint: "Declare the service with mesh.service() (or mesh.include() the module that does) before configuring it.",
  },
  ConflictingSetting: {
    code: "MESH0005",
    severity: "error",
    description: "The same setting is given twice for one service (a policy option, a TCP route, a TCP outbound port).",
    message: "{message}",
    hint: "Give the setting once; merge the two places into one.",
  },
  EvaluationAborted: {
    code: "MESH0006",
    severity: "error",
    description: "Evaluating the mesh module ended without a mesh: it called process.exit(), an error escaped (e.g. thrown in a timer), it ran past --eval-timeout or out of heap (--eval-max-heap), or it sent a malformed result.",
    message: "evaluation ended without a mesh: {message}",
    hint: "Make mesh.ts compute its mesh and return: no process.exit(), no endless loops or never-settling promises, no work left in timers. Raise --eval-timeout or --eval-max-heap only for a mesh that is legitimately that large.",
  },

  // 01xx: references.
  UnknownService: {
    code: "MESH0101",
    severity: "error",
    description: "A route backend, TCP route backend or mirror target names a service the mesh does not declare.",
    message: "Unknown service {service} in {where}.{suggestion}",
    hint: "Declare service {service}, or reference a declared one; passing the object mesh.service() returns instead of a name makes this a type error.",
  },
  UnknownSubset: {
    code: "MESH0102",
    severity: "error",
    description: "A backend or mirror target names a subset its service does not declare.",
    message: "Unknown subset {subset} of service {service} in {where}.{suggestion}",
    hint: "Declare subset {subset} on service {service} (declared: {known}), or reference a declared one.",
  },
  UnknownDependency: {
    code: "MESH0103",
    severity: "error",
    description: "A service's calls list a service the mesh does not declare.",
    message: "Service {service} calls unknown service {target}.{suggestion}",
    hint: "Declare service {target}, or remove it from the calls of {service}.",
  },
  SubsetMatchesNoInstance: {
    code: "MESH0104",
    severity: "error",
    description: "A subset of a service with static instances selects none of them, so traffic sent to it fails.",
    message: "Subset {subset} of service {service} selects no instance: none has the labels {labels}.",
    hint: "Label at least one instance of {service} with {labels}, or correct the subset's labels.",
  },
  SubsetOnDnsService: {
    code: "MESH0105",
    severity: "error",
    description: "A subset selects labels on a service whose instances come from DNS, which carries no labels.",
    message: "Subset {subset} of service {service} can never select an instance: its instances come from DNS name {hostname}, which carries no labels.",
    hint: "Declare the instances of {service} as static addresses with labels, or give each version its own service and DNS name.",
  },
  SelfCall: {
    code: "MESH0106",
    severity: "warning",
    description: "A service lists itself among the services it calls.",
    message: "Service {service} lists itself in its calls.",
    hint: "Remove {service} from its own calls unless it really calls its peers through its sidecar.",
  },
  UnknownFailoverLocality: {
    code: "MESH0107",
    severity: "warning",
    description: "A locality failover entry (a region, zone or sub-zone name, or a \"region/zone/subZone\" path) matches no instance of the service.",
    message: "Locality failover entry {locality} of service {service} matches no instance's region, zone or sub-zone.",
    hint: "Use a locality that an instance of {service} declares (declared: {known}), or add localities to its instances.",
  },
  UnknownInstancePort: {
    code: "MESH0108",
    severity: "error",
    description: "An instance (or dns()) gives a port number for a port name its service does not declare.",
    message: "Instance {instance} of service {service} gives a number for port {port}, which {service} does not declare.{suggestion}",
    hint: "Name one of the ports of {service} (declared: {known}) in the instance's ports.",
  },
  UnknownRoutePort: {
    code: "MESH0109",
    severity: "error",
    description: "A route's match.port, or a route target svc.port(name), names a port the service does not declare.",
    message: "{where} names port {port} of service {service}, which it does not declare.{suggestion}",
    hint: "Use a declared port of {service} (declared: {known}).",
  },
  UnknownPolicySubset: {
    code: "MESH0110",
    severity: "error",
    description: "mesh.policy(svc.subset(name), …) names a subset the service does not declare.",
    message: "A subset policy names unknown subset {subset} of service {service}.{suggestion}",
    hint: "Declare subset {subset} on service {service} (declared: {known}), or name a declared one.",
  },

  // 02xx: conflicts.
  DuplicateService: {
    code: "MESH0201",
    severity: "error",
    description: "Two services have the same name.",
    message: "Service {service} is declared more than once (first at {first}).",
    hint: "Rename one of them or merge the declarations: service names are unique within a mesh.",
  },
  DuplicatePortName: {
    code: "MESH0202",
    severity: "error",
    description: "A service declares two ports with the same name.",
    message: "Service {service} declares port name {port} more than once.",
    hint: "Give each port of {service} its own name.",
  },
  DuplicatePortNumber: {
    code: "MESH0203",
    severity: "error",
    description: "A service declares two ports with the same port number.",
    message: "Service {service} uses port {number} for both {first} and {second}.",
    hint: "Give each port of {service} its own number; one sidecar cannot bind a port twice.",
  },
  PortConflict: {
    code: "MESH0204",
    severity: "error",
    description: "Two sockets bound on the same host (sidecar listeners, admin, TCP outbound, metrics or app ports) use the same address and port.",
    message: "Port {port} is bound twice{onHost}: by {first} and by {second}.",
    hint: "{fix}",
  },
  DuplicateSubset: {
    code: "MESH0205",
    severity: "error",
    description: "A service declares two subsets with the same name.",
    message: "Service {service} declares subset {subset} more than once.",
    hint: "Give each subset of {service} its own name.",
  },
  DuplicateEndpoint: {
    code: "MESH0206",
    severity: "error",
    description: "A service lists the same address:port instance twice.",
    message: "Service {service} lists instance {endpoint} more than once.",
    hint: "Remove the duplicate: Envoy would send that instance a double share of traffic.",
  },
  AppPortIsInboundPort: {
    code: "MESH0207",
    severity: "error",
    description: "A port's app port equals its own inbound port on an overlapping address, so the sidecar would forward to itself.",
    message: "Port {port} of service {service} forwards to app port {number} on 127.0.0.1, but the sidecar's inbound listener binds {address}:{number} itself: requests would loop back into the sidecar.",
    hint: "Run the app on another local port and declare it ({ctor}({number}, { app: <port> })), or bind the inbound listener to the instance's own address (sidecar inboundAddress); a dependency that runs no sidecar is declared with mesh.external().",
  },
  ExternalHostClaimed: {
    code: "MESH0230",
    severity: "error",
    description: "A host of an external service is also claimed by another service or external service (Envoy compares domains in lowercase; a service's domains are its name and <name>.<mesh>), so callers' route tables could reach only one of them.",
    message: "Host {host} of external service {service} is already claimed by {other}.",
    hint: "Give each external service its own hosts, none equal (in any letter case) to a service's name or <name>.<mesh>, nor to the external service's own name.",
  },
  ExternalPlaintextToTlsPort: {
    code: "MESH0231",
    severity: "warning",
    description: "An external service's port 443 (or a port named https/tls) has no `tls`: callers' sidecars would speak plaintext to a port that expects TLS.",
    message: "Port {port} ({number}) of external service {service} is called in plaintext, but {number} is usually a TLS port.",
    hint: "Add a tls option to the external service (TLS origination, verified against the system CA bundle or a given ca file); if the port really speaks plaintext, give it another name or number.",
  },
  ExternalTlsProxyless: {
    code: "MESH0232",
    severity: "error",
    description: "A proxyless gRPC client calls an external service with `tls`: gRPC's xDS client only takes certificate-provider plugins (gRFC A29), not CA files, and would reject the cluster.",
    message: "Proxyless client {service} calls external service {external}, which needs TLS origination; gRPC's xDS client cannot load its CA file.",
    hint: "Call it through an Envoy sidecar (drop proxyless), or let the application itself speak TLS to it.",
  },
  UnknownRouteCaller: {
    code: "MESH0350",
    severity: "error",
    description: "A route's `from` names a service that is not in the mesh.",
    message: "Route {route} of service {service} applies to calls from {caller}, which is not a service in this mesh.",
    hint: "Name a declared service in from (a reference from mesh.service()), or add the service to the mesh.",
  },
  RouteCallerNeverCalls: {
    code: "MESH0351",
    severity: "warning",
    description: "A route's `from` names a service that does not call the routed service, so the route reaches no caller's route table.",
    message: "Route {route} of service {service} applies to calls from {caller}, but {caller} does not call {service}: no proxy gets this route.",
    hint: "Add {service} to the calls of {caller}, or drop {caller} from the route's from.",
  },
  CorsCredentialsAnyOrigin: {
    code: "MESH0352",
    severity: "error",
    description: "A CORS policy allows credentials for any origin (\"*\"): Envoy would echo every Origin back with credentials allowed, so any web page could call the service with the user's cookies.",
    message: "The CORS policy of {where} allows credentials for any origin (\"*\").",
    hint: "List the origins that may send credentials, or drop allowCredentials.",
  },
  HostMatchOutsideGateway: {
    code: "MESH0233",
    severity: "error",
    description: "A route of a service (not a gateway) matches a host: a caller's sidecar selects the service by Host before its routes run, so the condition is meaningless there.",
    message: "Route {route} of service {service} matches host {host}, but only gateway routes can match a host.",
    hint: "Remove host from the match, or put the route on a gateway (mesh.gateway) whose listener serves that host.",
  },
  UnknownGatewayHost: {
    code: "MESH0234",
    severity: "error",
    description: "A gateway route matches a host that none of the gateway's listeners serves, so it never matches.",
    message: "Route {route} of gateway {service} matches host {host}, which no listener of {service} serves ({known}).",
    hint: "Add the host to a listener's hosts, or use one of the hosts listed.",
  },
  DuplicateGatewayHost: {
    code: "MESH0239",
    severity: "error",
    description: "A gateway lists one host twice on a port (letter case aside): Envoy compares virtual-host domains in lowercase and refuses a route table that has a domain twice.",
    message: "Host {host} of gateway {service} is listed again on port {port}: it is the same domain as {first} (Envoy ignores letter case in domains).",
    hint: "List each host once per port; Host headers match domains in any letter case, so one spelling serves all.",
  },
  InstanceSidecarPortConflict: {
    code: "MESH0236",
    severity: "error",
    description: "An instance with its own sidecar ports binds a port (its listeners, admin, app ports or metrics listener) that another sidecar (of the same service or another) on the same host also binds.",
    message: "Port {port} is bound twice on host {host}: by {first} and by {second}.",
    hint: "{fix}",
  },
  InstanceSidecarWithoutSidecar: {
    code: "MESH0237",
    severity: "error",
    description: "An instance declares its own sidecar ports, but its service runs no meshc sidecar (a proxyless client, a gateway, an external or nonMesh service), so nothing would bind them.",
    message: "Instance {instance} of service {service} declares its own sidecar ports, but {service} is {what}: it has no sidecar.",
    hint: "Remove sidecar from the instance (a gateway's ports are its listeners; the others bind no sidecar ports).",
  },
  UnknownInstanceAppPort: {
    code: "MESH0238",
    severity: "error",
    description: "An instance's sidecar.app names a port its service does not declare.",
    message: "Instance {instance} of service {service} gives an app port for {port}, which {service} does not declare ({known}).",
    hint: "Use one of the service's port names in sidecar.app.",
  },
  // 0242-0249, 0360: mesh.patch(), the escape hatch (issue 13). 0243 is an analyzer's (patch-targets.ts); the
  // rest come from applying the patches to the generated resources (src/patch/apply.ts).
  PatchApplied: {
    code: "MESH0242",
    severity: "warning",
    description: "Listed under --strict only: a mesh.patch() changed generated Envoy resources, bypassing meshc's analysis of intent (the result is still checked like everything meshc emits).",
    message: "mesh.patch() changes {kind} {resources} on {proxies}.",
    hint: "Patches are a last resort: express the setting in the DSL when it can, and drop --strict only where a patch is needed.",
  },
  PatchTargetWithoutProxy: {
    code: "MESH0243",
    severity: "error",
    description: "A mesh.patch() lists a proxy that meshc does not run: a service not in the mesh, an external service or a non-mesh service.",
    message: "mesh.patch() targets {service}, which has no meshc proxy ({why}).",
    hint: "List services and gateways of this mesh that run a sidecar, a gateway or a proxyless client.",
  },
  PatchMatchesNothing: {
    code: "MESH0244",
    severity: "error",
    description: "A mesh.patch() target selects no resource on one of its proxies: the name is not generated there (renamed, or never existed), or the proxy has no resource of that kind.",
    message: "mesh.patch() matches no {kind} {name} on proxy {service}{known}.",
    hint: "Use a name `meshc proxy-config` or the build directory shows for that proxy, or drop the proxy from `proxies`.",
  },
  PatchThrew: {
    code: "MESH0245",
    severity: "error",
    description: "A mesh.patch() function threw while patching a resource; nothing is built.",
    message: "mesh.patch() threw on {kind} {resource} of proxy {service}: {error}",
    hint: "Make the patch handle every resource its target selects (narrow the target with `name`), or fix the exception.",
  },
  PatchAborted: {
    code: "MESH0246",
    severity: "error",
    description: "Applying the mesh's patches ended without a result: past --eval-timeout, out of heap (--eval-max-heap), or the evaluation worker ended (process.exit(), an escaped error); nothing is built.",
    message: "applying mesh.patch() ended without a result: {message}",
    hint: "Patches run under the evaluation's limits: remove endless loops and unbounded allocations from the patch.",
  },
  PatchNondeterministic: {
    code: "MESH0247",
    severity: "error",
    description: "A mesh.patch() function read the clock or randomness (Date.now(), new Date(), Math.random(), performance.now(), crypto random values, timers); its output could differ between compiles.",
    message: "mesh.patch() is not deterministic: {error}",
    hint: "Compute the patch from the resource and constants only; a time or random value belongs in the mesh's own inputs.",
  },
  PatchRefused: {
    code: "MESH0248",
    severity: "error",
    description: "What a mesh.patch() returned is not a resource meshc ships: not an object, a promise, an unknown field or a wrong type (the codec), a `(validate.rules)` violation, a filter chain, listener address or cluster type Envoy refuses to assemble, a name the proxy's snapshot lacks (consistency), or key material given inline.",
    message: "mesh.patch() made {kind} {resource} of proxy {service} invalid: {issue}",
    hint: "Return a resource of the same kind that Envoy accepts: field names in snake_case, durations as { seconds, nanos }, an Any as { \"@type\": url, ...fields }.",
  },
  PatchRenamed: {
    code: "MESH0249",
    severity: "error",
    description: "A mesh.patch() changed the name of the resource it patched; other resources refer to it by that name.",
    message: "mesh.patch() renamed {kind} {resource} of proxy {service} to {name}.",
    hint: "Keep `name` as it was; a patch changes a resource, it does not replace it with another.",
  },
  PatchNoEffect: {
    code: "MESH0360",
    severity: "warning",
    description: "A mesh.patch() left every resource it selects as meshc generated it.",
    message: "mesh.patch() changes nothing in {kind} {resources}.",
    hint: "Remove the patch if meshc now generates what it used to add, or check its target.",
  },
  AmbiguousInstancePort: {
    code: "MESH0208",
    severity: "error",
    description: "An instance of a service with several ports gives one port number (`port`, \"address:port\" or dns(host, port)), which does not say which service port it is for.",
    message: "Instance {instance} of service {service} gives the single port {number}, but {service} has {count} ports ({known}); it is not clear which port it is for.",
    hint: "Leave the number out (every port is served on its own number), or give numbers by port name: {example}.",
  },

  // 03xx: routing and Envoy limits.
  ZeroTotalWeight: {
    code: "MESH0301",
    severity: "error",
    description: "A weighted split has no backends or only zero weights, so no backend can receive traffic.",
    message: "The weights of {where} sum to 0 ({weights}): no backend would receive traffic.",
    hint: "Give at least one backend a positive weight; weights are percentages that sum to 100.",
  },
  ShadowedRoute: {
    code: "MESH0303",
    severity: "warning",
    description: "A route can never match because an earlier route's match covers every request it matches.",
    message: "Route {route} can never match: earlier route {earlier} (index {index}) matches every request it matches.",
    hint: "Move route {route} above {earlier}, or narrow the match of {earlier}.",
  },
  HttpRouteToTcpService: {
    code: "MESH0304",
    severity: "error",
    description: "An HTTP route (or its backend or mirror) targets a service that has no HTTP, HTTP/2 or gRPC port.",
    message: "{where} sends HTTP traffic to service {service}, which has no http, http2 or grpc port (ports: {ports}).",
    hint: "Use a TCP route for {service}, or give {service} an http, http2 or grpc port.",
  },
  TcpRouteToNonTcpService: {
    code: "MESH0305",
    severity: "error",
    description: "A TCP route (or its backend) targets a service that has no TCP port.",
    message: "{where} sends TCP traffic to service {service}, which has no tcp port (ports: {ports}).",
    hint: "Use HTTP routes for {service}, or give {service} a tcp port.",
  },
  GrpcMatchOnNonGrpcService: {
    code: "MESH0306",
    severity: "error",
    description: "A route matches a gRPC service/method, but the target service has no grpc port.",
    message: "Route {route} matches gRPC {method}, but service {service} has no grpc port (ports: {ports}).",
    hint: "Declare the port of {service} with protocol grpc, or match on the path instead.",
  },
  MirrorToSameTarget: {
    code: "MESH0307",
    severity: "error",
    description: "A route mirrors to a service (and subset) it already forwards to, so mirrored requests hit it twice.",
    message: "Route {route} mirrors to {target}, which is also a backend of the route: every mirrored request reaches it twice.",
    hint: "Mirror to another service or subset (for example the next version), or remove the mirror.",
  },
  UnsupportedRegexSyntax: {
    code: "MESH0308",
    severity: "error",
    description: "A regex uses syntax Envoy's RE2 engine rejects (lookaround, backreferences, possessive or atomic groups, \\Z, ...).",
    message: "Regex {regex} in {where} uses {feature} at offset {offset}, which Envoy's RE2 engine does not support.",
    hint: "{advice}",
  },
  InvalidRegex: {
    code: "MESH0309",
    severity: "error",
    description: "A regex is malformed in any dialect (unbalanced parentheses or brackets, nothing to repeat, reversed range, ...).",
    message: "Regex {regex} in {where} is invalid: {reason} at offset {offset}.",
    hint: "Fix the pattern; the RE2 syntax Envoy accepts is listed at https://github.com/google/re2/wiki/Syntax.",
  },
  InvalidMatchCharacter: {
    code: "MESH0310",
    severity: "error",
    description: "A path, header or query value contains NUL, CR or LF, which Envoy rejects.",
    message: "The {field} of route {route} contains {char} ({value}); Envoy rejects NUL, CR and LF in paths and headers.",
    hint: "Remove the control character; NUL, CR and LF can never appear in a request line or header.",
  },
  PathWithoutLeadingSlash: {
    code: "MESH0311",
    severity: "error",
    description: "A path exact or prefix match does not start with \"/\", so no request path can match it.",
    message: "Path {kind} {value} of route {route} does not start with \"/\", so no request path can match it.",
    hint: "Write the path starting with \"/\", for example {fixed}.",
  },
  ProxylessUnsupportedSetting: {
    code: "MESH0313",
    severity: "warning",
    description: "A proxyless gRPC service calls an upstream with a setting gRPC's xDS client does not implement; meshc gives that client the nearest supported behaviour.",
    message: "Proxyless gRPC service {service} calls {upstream}, whose {setting} gRPC clients do not support: {effect}.",
    hint: "Use a setting gRPC supports for {upstream} ({supported}), or accept that gRPC clients behave differently from sidecars here.",
  },
  ProxylessSettingIgnored: {
    code: "MESH0420",
    severity: "warning",
    description: "A proxyless gRPC service calls an upstream with a setting its gRPC implementation ignores (capability table, src/proxyless/capabilities.ts): calls still work, with the documented difference.",
    message: "Proxyless gRPC service {service} ({implementation}) calls {upstream}, whose {setting} it ignores: {effect}.",
    hint: "Drop the setting for {upstream}, or accept that this gRPC client behaves differently from sidecars here (docs/dsl.md, Proxyless gRPC capabilities).",
  },
  ProxylessSettingFails: {
    code: "MESH0421",
    severity: "error",
    description: "A proxyless gRPC service calls an upstream with a setting its gRPC implementation fails on (capability table, src/proxyless/capabilities.ts): calls fail or land on another route.",
    message: "Proxyless gRPC service {service} ({implementation}) calls {upstream}, whose {setting} it cannot apply: {effect}.",
    hint: "Give gRPC callers routes without it (e.g. a match on a header instead of a query parameter, a route to a service instead of a redirect or direct response), or call {upstream} through a sidecar.",
  },
  ProxylessNonGrpcUpstream: {
    code: "MESH0312",
    severity: "warning",
    description: "A proxyless gRPC service calls a service that has no grpc port; a gRPC client cannot talk to it.",
    message: "Proxyless gRPC service {service} calls {upstream}, which has no grpc port (ports: {ports}).",
    hint: "Give {upstream} a grpc port, or run {service} with an Envoy sidecar instead of proxyless.",
  },
  RoutePortProtocolMismatch: {
    code: "MESH0314",
    severity: "error",
    description: "An HTTP route matches or targets a TCP port (or a TCP route targets an HTTP port) by name.",
    message: "{where} names port {port} of service {service}, a {protocol} port; {expected}.",
    hint: "Name a port of the right kind: HTTP routes use http/http2/grpc ports, TCP routes tcp ports.",
  },

  // 0320-0349: what Envoy enforces at run time beyond (validate.rules), and `--envoy` (issue 7, section 3).
  WeightsNotHundred: {
    code: "MESH0320",
    severity: "error",
    description: "The weights of a split do not sum to 100 (as in Istio, a split is a list of percentages; MESH0302 used to normalize them).",
    message: "The weights of {where} sum to {sum}, not 100 ({weights}).",
    hint: "Make the weights sum to 100, e.g. {suggestion}.",
  },
  UnmodifiableHeader: {
    code: "MESH0321",
    severity: "error",
    description: "A route adds, sets or removes the Host header or a pseudo-header (:authority, :path, :method, :status, ...), which Envoy refuses.",
    message: "Route {route} {op} the {side} header {header}; Envoy refuses to {verb} Host and \":\"-prefixed headers.",
    hint: "{advice}",
  },
  InvalidHeaderFormat: {
    code: "MESH0322",
    severity: "error",
    description: "A header value to add or set uses \"%\" in a way Envoy's substitution formatter rejects: an unknown %COMMAND%, a command without its required parameter, or a lone \"%\".",
    message: "The {side} header {header} value {value} of route {route} is refused by Envoy's formatter: {reason}.",
    hint: "Write a literal percent sign as \"%%\"; a command is %NAME% or %NAME(param)% with a name Envoy knows, e.g. %REQ(x-request-id)%, %HOSTNAME%, %START_TIME%.",
  },
  DirectResponseBodyTooLarge: {
    code: "MESH0323",
    severity: "error",
    description: "A direct response body is larger than 4,096 bytes, Envoy's default max_direct_response_body_size_bytes.",
    message: "The body of route {route}'s direct response is {bytes} bytes (UTF-8); Envoy allows at most 4096.",
    hint: "Shorten the body to 4096 bytes or less, or serve large content from a service.",
  },
  InvalidRedirect: {
    code: "MESH0324",
    severity: "error",
    description: "A redirect's host is not a host name, IP address or [IPv6] with an optional port, or its path or prefix is not an absolute URL path.",
    message: "The redirect {field} {value} of route {route} is not valid: {reason}.",
    hint: "{advice}",
  },
  InvalidRewrite: {
    code: "MESH0325",
    severity: "error",
    description: "A rewrite's host is not a host name, IP address or [IPv6] with an optional port, or its prefix or full path is not an absolute URL path.",
    message: "The rewrite {field} {value} of route {route} is not valid: {reason}.",
    hint: "{advice}",
  },
  RateLimitIntervalTooShort: {
    code: "MESH0326",
    severity: "error",
    description: "A local rate limit refills its token bucket more often than every 50ms, which Envoy refuses.",
    message: "The rate limit of {where} refills every {interval}; Envoy requires at least 50ms.",
    hint: "Use per: \"50ms\" or longer and scale tokens to match (e.g. {suggestion}).",
  },
  RegexTooComplex: {
    code: "MESH0327",
    severity: "error",
    description: "A regex compiles to a larger RE2 program than Envoy's default limit of 100 instructions (re2.max_program_size.error_level).",
    message: "Regex {regex} in {where} compiles to about {size} RE2 instructions; Envoy refuses programs over 100.",
    hint: "Simplify the regex: avoid large counted repetitions (of a group, a class or \".\") and long alternations; a prefix or exact match is often enough.",
  },
  GrpcHealthCheckOnHttp1: {
    code: "MESH0328",
    severity: "error",
    description: "A gRPC health check is set for a service with an http or tcp port; Envoy requires HTTP/2 on every cluster a gRPC health check runs on.",
    message: "Service {service} has a gRPC health check, but its port {port} is {protocol}; Envoy gRPC health checks need HTTP/2 clusters.",
    hint: "Use an http health check ({ http: \"/healthz\" }) or a tcp one, or declare the ports of {service} as grpc or http2.",
  },
  EmptyMatchPrefix: {
    code: "MESH0329",
    severity: "error",
    description: "A header or query parameter prefix match is empty, which Envoy refuses (an empty prefix would match any value).",
    message: "The {field} of route {route} is an empty prefix; Envoy requires at least 1 character.",
    hint: "Use { present: true } to match any value, or give a non-empty prefix.",
  },
  ZeroFaultDelay: {
    code: "MESH0330",
    severity: "error",
    description: "A fault injection delay of 0ms, which Envoy refuses (fixed_delay must be greater than 0).",
    message: "The fault delay of route {route} is 0ms; Envoy requires a delay longer than 0.",
    hint: "Give the delay a positive duration, or drop the delay.",
  },
  FractionalEjectionPercent: {
    code: "MESH0331",
    severity: "error",
    description: "An outlier detection maxEjectionPercent is not a whole number; Envoy's field is an integer percentage.",
    message: "Outlier detection of service {service} has maxEjectionPercent {value}; Envoy takes a whole percentage.",
    hint: "Use a whole number from 0 to 100, e.g. {suggestion}.",
  },
  CredentialInHeader: {
    code: "MESH0332",
    severity: "error",
    description: "A route adds or sets Authorization or Proxy-Authorization to literal text: a token in mesh.ts reaches the build output, served snapshots and debug endpoints.",
    message: "Route {route} {op} the {side} header {header} to a literal credential, which would be written to the build output and every place that shows a proxy's configuration.",
    hint: "Keep tokens out of mesh.ts: let the application send its own credential, or copy one the request carries with a formatter command, e.g. %REQ(x-upstream-authorization)%.",
  },
  InstanceWeightsOverflow: {
    code: "MESH0361",
    severity: "error",
    description: "The weights of a service's instances in one locality sum to more than 4294967295: Envoy gives each locality the sum as a uint32 load_balancing_weight.",
    message: "The weights of service {service}'s instances {locality} sum to {sum}; Envoy allows at most 4294967295 per locality.",
    hint: "Weights are relative: scale them down (e.g. divide each by {divisor}) so that each locality's sum fits.",
  },
  SplitWeightRoundsToZero: {
    code: "MESH0362",
    severity: "error",
    description: "A split backend's weight becomes 0 in Envoy: a positive weight below 0.005 (fractional splits are written in hundredths of a percent), or a weight of 0 in a TCP route's split (Envoy's TCP proxy requires at least 1).",
    message: "The weight {weight} of {backend} in {where} {reason}.",
    hint: "{advice}",
  },
  RejectedByEnvoy: {
    code: "MESH0340",
    severity: "error",
    description: "With --envoy, the real Envoy (`envoy --mode validate`) refused the configuration of a proxy (located at the mesh.patch() that made it refuse, when Envoy accepts the proxy without its patches).",
    message: "Envoy {version} refused the configuration of proxy {proxy}: {message}",
    hint: "{fix}",
  },
  EnvoyValidationUnavailable: {
    code: "MESH0341",
    severity: "error",
    description: "With --envoy, Envoy could not be found or gave no verdict (crashed, timed out, could not start): the check fails closed.",
    message: "--envoy: cannot validate {proxy} with Envoy: {reason}",
    hint: "Install Envoy 1.40 (npm run envoy:install), set ENVOY_BIN or pass --envoy-bin <path>; or run without --envoy.",
  },

  // 04xx: resilience.
  RetriesExceedTimeout: {
    code: "MESH0401",
    severity: "warning",
    description: "The first try plus all retries, each up to the per-try timeout, take longer than the route timeout, so later retries are cut off.",
    message: "{where}: 1 try + {attempts} {retries} × {perTry} per try = up to {total}, longer than the route timeout of {timeout}; later retries are cut off.",
    hint: "Lower the retries or the per-try timeout so that (1 + retries) × per-try ≤ {timeout}, or raise the route timeout.",
  },
  RetryNonIdempotent: {
    code: "MESH0402",
    severity: "warning",
    description: "A route that can match non-idempotent methods (POST, PATCH, gRPC) retries on conditions that occur after the upstream may have processed the request.",
    message: "{where} retries on {conditions} but can match {methods}: a retry may repeat a request the upstream already processed.",
    hint: "Restrict the route to idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), or retry only on connect-failure, refused-stream, reset-before-request (or gRPC unavailable).",
  },
  BackoffBaseExceedsMax: {
    code: "MESH0403",
    severity: "error",
    description: "A retry backoff's base interval is longer than its max interval, which Envoy rejects.",
    message: "Retry backoff of {where} has base {base} longer than max {max}.",
    hint: "Set the backoff base at or below its max.",
  },
  HashPolicyMissing: {
    code: "MESH0404",
    severity: "warning",
    description: "Ring-hash or Maglev load balancing without hash keys spreads requests at random: no affinity.",
    message: "Service {service} uses {lb} load balancing without hash keys, so requests are spread at random with no affinity.",
    hint: "Add hash keys (header, cookie, source IP or query parameter), or use round-robin or least-request.",
  },
  HealthCheckTimeoutExceedsInterval: {
    code: "MESH0405",
    severity: "warning",
    description: "An active health check's timeout is longer than its interval, so checks overlap.",
    message: "Health check of service {service} has timeout {timeout}, longer than its interval {interval}.",
    hint: "Set the health check timeout below its interval.",
  },

  // 05xx: identity.
  InvalidIdentity: {
    code: "MESH0501",
    severity: "error",
    description: "A service identity is not a SPIFFE ID spiffe://<trust domain>/<path> in the mesh's trust domain.",
    message: "Identity {identity} of service {service} is not a valid SPIFFE ID in trust domain {trustDomain}: {reason}.",
    hint: "Use spiffe://{domain}/<path> with path segments of letters, digits, \".\", \"-\" and \"_\" (the default is {default}).",
  },

  // 06xx: telemetry.
  TelemetryCollectorUnknown: {
    code: "MESH0601",
    severity: "error",
    description: "A tracing collector names a service that is not part of the mesh.",
    message: "Tracing collector {collector} of service {service} is not a service of this mesh.",
    hint: "Declare the collector with mesh.service() (with a grpc port), or give its address as \"host:port\".",
  },
  TelemetryCollectorUnreachable: {
    code: "MESH0602",
    severity: "error",
    description: "No proxy can reach a tracing collector service: it has no instances, or no grpc/http2 port (OTLP/gRPC needs HTTP/2), or the named port does not exist.",
    message: "Tracing collector {collector} of service {service} cannot be reached: {reason}.",
    hint: "Give the collector service instances and a grpc(...) port (e.g. 4317), or name such a port with svc.port(\"otlp\").",
  },
  MetricsPortConflict: {
    code: "MESH0603",
    severity: "error",
    description: "A sidecar's Prometheus metrics port is also one of its service ports, its admin port, its outbound port or a TCP outbound port.",
    message: "Metrics port {port} of service {service} is already its {other}.",
    hint: "Pick another telemetry metrics port (the default is 15090) with mesh.telemetry({service}, { metrics: { port } }).",
  },
  AccessLogPathNotAbsolute: {
    code: "MESH0604",
    severity: "error",
    description: "An access-log file path is not absolute (where Envoy writes would depend on its working directory) or contains a NUL character (Envoy would write to the file named by the part before it).",
    message: "Access-log path {path} of service {service} {problem}.",
    hint: "Give an absolute path without NUL characters, such as \"/var/log/envoy/access.log\", or log to \"stdout\".",
  },
  ProxylessTelemetryIgnored: {
    code: "MESH0605",
    severity: "warning",
    description: "Telemetry is set for a proxyless gRPC client, whose xDS client implements no access logs, Prometheus listener or xDS-configured tracing.",
    message: "Telemetry {section} of proxyless gRPC service {service} does not apply: {effect}.",
    hint: "Configure telemetry in the gRPC application itself (gRPC's OpenTelemetry plugin), or turn the section off for this service.",
  },
  TraceSamplingWithoutTracing: {
    code: "MESH0606",
    severity: "warning",
    description: "A route sets traceSampling, but no sidecar that calls its service has tracing on, so it does nothing.",
    message: "Route {route} of service {service} sets trace sampling, but no sidecar calling {service} has tracing on.",
    hint: "Turn tracing on (telemetry.tracing) for the callers, or drop .traceSampling().",
  },
  TraceSamplingIgnored: {
    code: "MESH0426",
    severity: "warning",
    description: "A route sets traceSampling, but sidecars sample with the OpenTelemetry tracer's parent-based sampler (so that callers cannot force sampling and a sampled traceparent stays sampled), which Envoy 1.40 applies per sidecar, not per route.",
    message: "Route {route} of service {service} sets trace sampling {percent} %, which has no effect: each calling sidecar samples new traces at its own samplePercent.",
    hint: "Drop .traceSampling(), and set samplePercent for the callers that need another share (mesh.telemetry(caller, { tracing: { ... } })).",
  },
  AccessLogCollectorUnknown: {
    code: "MESH0607",
    severity: "error",
    description: "An access log's OpenTelemetry collector (accessLog.to.otel) names a service that is not part of the mesh.",
    message: "Access-log collector {collector} of service {service} is not a service of this mesh.",
    hint: "Declare the collector with mesh.service() (with a grpc port), or give its address as \"host:port\".",
  },
  AccessLogCollectorUnreachable: {
    code: "MESH0608",
    severity: "error",
    description: "No proxy can reach an access log's OpenTelemetry collector service: it has no instances, or no grpc/http2 port (OTLP/gRPC needs HTTP/2), or the named port does not exist.",
    message: "Access-log collector {collector} of service {service} cannot be reached: {reason}.",
    hint: "Give the collector service instances and a grpc(...) port (e.g. 4317), or name such a port with svc.port(\"otlp\").",
  },
  TcpAccessLogFilterPartial: {
    code: "MESH0609",
    severity: "warning",
    description: "An access-log filter on response codes (errorsOnly) applies to a sidecar that also proxies TCP; TCP connections have no response code, so there only connections Envoy flagged (response flags) count as errors.",
    message: "Access-log filter errorsOnly of service {service} cannot test response codes on its TCP listeners ({ports}): only connections with a response flag (e.g. UF, UH) are logged there.",
    hint: "Accept the difference, or set a separate mesh.telemetry() for a service that carries only TCP, without errorsOnly.",
  },

  ProxylessClientWithoutMtls: {
    code: "MESH0502",
    severity: "error",
    description: "A proxyless gRPC client with mtls \"off\" (no xDS security, gRFC A29) calls a service port in strict mTLS mode, which refuses plaintext.",
    message: "Proxyless client {client} has mtls \"off\" but calls {service} on port {port}, which is in strict mTLS mode: every call would be refused.",
    hint: "Let {client} use gRPC's xDS security (remove its mtls: \"off\" and give it certificates with `meshc certs --service {client}`), or set port {port} of {service} to mtls: \"permissive\".",
  },
  NonMeshCallerToStrictPort: {
    code: "MESH0503",
    severity: "error",
    description: "A nonMesh service (no meshc proxy, no certificate) calls a service whose port is in strict mTLS mode, so its plaintext calls would be refused.",
    message: "Non-mesh service {caller} calls {service}, whose port {port} is in strict mTLS mode: its plaintext calls would be refused.",
    hint: "Set port {port} of {service} to mtls: \"permissive\" while {caller} calls it, or run {caller} with a sidecar (remove nonMesh).",
  },
  MtlsOnNonMeshService: {
    code: "MESH0504",
    severity: "error",
    description: "A nonMesh service sets an mTLS mode other than \"off\" on itself or a port, but it has no proxy and no certificate to terminate mTLS with.",
    message: "Non-mesh service {service} sets mtls {mode} on {where}, but it has no proxy or certificate to terminate mTLS with.",
    hint: "Remove the mtls setting from {service} (non-mesh services are plaintext), or run it with a sidecar (remove nonMesh).",
  },
  MtlsWithoutCa: {
    code: "MESH0505",
    severity: "error",
    description: "`meshc serve` or `meshc bootstrap --static` got a mesh that uses mTLS but no mesh CA (--ca), so no proxy could get a certificate.",
    message: "The mesh uses mTLS (a port is strict or permissive) but no mesh CA was given, so no proxy can get a certificate.",
    hint: "Pass --ca <dir> (create one with `meshc ca init --out <dir>`), or set mtls: \"off\".",
  },
  // 07xx: authorization (mesh.authorize / mesh.authorizeDefaults).
  AuthzIdentityWithoutStrictMtls: {
    code: "MESH0701",
    severity: "error",
    description: "An authorization rule names callers (from/notFrom) on a port that is not in strict mTLS mode, where a plaintext caller has no identity: an allow would match nobody and a deny (or notFrom) would let plaintext callers through. A gateway's own policy is refused the same way: its listeners take callers from outside the mesh, who carry no mesh identity.",
    message: "Rule {rule} of {policy} names callers, but {reason}.",
    hint: "{fix}",
  },
  AuthzRuleNeverMatches: {
    code: "MESH0702",
    severity: "warning",
    description: "An authorization rule can never match (an empty from, methods or paths list, or ports that exclude every port of the service), so it has no effect.",
    message: "{action} rule {rule} of {policy} can never match: {reason}.",
    hint: "Remove the rule or give it a condition some request can meet.",
  },
  AuthzDryRunDenyCoveredByAllow: {
    code: "MESH0703",
    severity: "warning",
    description: "A dry-run deny rule matches only requests that an enforced allow rule lets through: today the allow decides, and enforcing the deny will start refusing them (deny always wins; rule order never shadows a deny).",
    message: "Dry-run deny rule {rule} of {policy} is covered by enforced allow rule {allow}: those requests pass until the deny is enforced.",
    hint: "Watch the rbac.meshc_dryrun_deny.shadow_denied stat, then drop dryRun from {rule} (or remove it).",
  },
  AuthzCallerWithoutCall: {
    code: "MESH0704",
    severity: "warning",
    description: "An allow rule names a caller service that never declares a call to the protected service, so its sidecar gets no route to it.",
    message: "Rule {rule} of {policy} allows {caller}, which does not declare calls to {service}.",
    hint: "Add {service} to the calls of {caller} (or drop {caller} from the rule).",
  },
  AuthzDeclaredCallDenied: {
    code: "MESH0705",
    severity: "warning",
    description: "A service declares calls to a service whose authorization policy denies every request from it.",
    message: "{caller} declares calls to {service}, but the authorization policy of {service} denies every request from {caller}.",
    hint: "Allow {caller} in the policy of {service}, or remove the call.",
  },
  AuthzHttpConditionOnTcpPort: {
    code: "MESH0706",
    severity: "error",
    description: "A rule with HTTP-only conditions (methods, paths, headers) applies to a TCP port, where the network RBAC filter cannot see them.",
    message: "{action} rule {rule} of {policy} has HTTP conditions ({conditions}) but applies to TCP port {port} of {service}.",
    hint: "Limit the rule to HTTP ports with to.ports, or drop its HTTP conditions.",
  },
  AuthzPathNotNormalized: {
    code: "MESH0707",
    severity: "error",
    description: "A path condition is not in the form Envoy matches after normalization (it must start with \"/\" and contain no \"//\", dot segments, \"%\", \"\\\", \"?\", \"#\", \";\", control characters or characters Envoy encodes or refuses), so it could never match the way it reads; or a deny path has too many reserved characters to match every percent-encoded spelling.",
    message: "Path {path} in rule {rule} of {policy} can never match a normalized path: {reason}.",
    hint: "Write the path as the app sees it after normalization (docs/dsl.md, \"How paths are normalized\"), e.g. {suggestion}.",
  },
  AuthzUnknownCaller: {
    code: "MESH0708",
    severity: "error",
    description: "A rule names a caller service that is not part of this mesh.",
    message: "Rule {rule} of {policy} names caller {caller}, which is not a service of this mesh.",
    hint: "Declare {caller} in the mesh, or name it by its SPIFFE ID with { identity: \"spiffe://...\" }.",
  },
  AuthzInvalidCallerIdentity: {
    code: "MESH0709",
    severity: "error",
    description: "A caller identity is not a SPIFFE ID spiffe://<trust domain>/<path> with segments of letters, digits, \".\", \"-\" and \"_\"; identities are matched exactly, never as patterns.",
    message: "Caller identity {identity} in rule {rule} of {policy} is not a valid SPIFFE ID: {reason}.",
    hint: "Give the exact SPIFFE ID of the caller; for every identity of a trust domain use { trustDomain: \"...\" }.",
  },
  AuthzServiceWithoutSidecar: {
    code: "MESH0710",
    severity: "error",
    description: "mesh.authorize() targets a service without a sidecar (a proxyless gRPC client or a nonMesh service): nothing could enforce the policy.",
    message: "mesh.authorize() targets {service}, which has no sidecar to enforce it ({why}).",
    hint: "Authorize the services {service} calls instead, or run {service} with a sidecar.",
  },
  AuthzPolicyGivenTwice: {
    code: "MESH0711",
    severity: "error",
    description: "mesh.authorize() is called twice for one service.",
    message: "mesh.authorize() is called twice for {service} (first at {first}).",
    hint: "Merge both calls' rules into one mesh.authorize() call.",
  },
  AuthzUnknownPort: {
    code: "MESH0712",
    severity: "error",
    description: "A rule's ports or notPorts name a port the protected service does not have.",
    message: "Rule {rule} of {policy} names port {port}, which {service} does not have (its ports: {ports}).",
    hint: "Use one of the service's port names.",
  },
  AuthzAllowUnderDefaultAllow: {
    code: "MESH0713",
    severity: "warning",
    description: "An allow rule in a policy whose default is \"allow\" has no effect: everything a deny rule does not match is allowed anyway.",
    message: "Allow rule {rule} of {policy} has no effect: the policy's default is \"allow\".",
    hint: "Set default: \"deny\" to allow only what the rules allow, or remove the rule.",
  },
  AuthzDuplicateRuleName: {
    code: "MESH0714",
    severity: "error",
    description: "Two rules that apply to the same service have the same name (names identify rules in Envoy's RBAC policies, its stats and `meshc explain authz`).",
    message: "Rule name {rule} is used twice in the policies of {service}.",
    hint: "Give each rule a distinct name.",
  },
  // 0240: authorization on an ingress gateway (07xx are full; next to the other gateway codes).
  AuthzGatewayRefusesEveryCaller: {
    code: "MESH0240",
    severity: "warning",
    description: "The authorization that applies to an ingress gateway (its own policy plus the mesh-wide rules and default) refuses every request on one of its listeners: a gateway's callers are outside the mesh and carry no mesh identity, so under default deny an allow rule naming callers (from) matches nobody, and a deny rule with notFrom and no other condition matches everybody.",
    message: "Gateway {service} refuses every request on port {port}: {reason}.",
    hint: "{fix}",
  },
  // 0241: next to the other gateway codes (01xx has no free code for it).
  GatewayAsTarget: {
    code: "MESH0241",
    severity: "error",
    description: "An ingress gateway is named where a mesh service is expected (a route backend or mirror, a TCP route backend, a calls entry): a gateway takes traffic from outside the mesh on plain HTTP or TLS it terminates itself, so a caller's sidecar would send it traffic its listeners do not expect.",
    message: "Gateway {gateway} is a target of {where}, but a gateway takes traffic from outside the mesh, not from mesh callers.",
    hint: "Call, or route to, the service behind {gateway}{behind} instead.",
  },
  // 08xx: service discovery (issue 16). 0801-0802 analysis; 0803-0804 reported by `meshc serve` / `meshc register`.
  RegistryKeyMalformed: {
    code: "MESH0801",
    severity: "error",
    description: "A registry({ key }) key is not one etcd path segment (letters, digits, \".\", \"_\", \"-\"; at most 253 characters), so its entries could not be listed under the prefix.",
    message: "Service {service} takes instances from registry key {key}, which is not a valid registry key.",
    hint: "Use letters, digits, \".\", \"_\" and \"-\" only (no \"/\"), e.g. registry({ key: \"catalog\" }).",
  },
  RegistryWithoutDiscovery: {
    code: "MESH0802",
    severity: "error",
    description: "A service takes instances from registry({ key }) but the mesh declares no registry (defineMesh's discovery option), so it would have no live instances.",
    message: "Service {service} takes instances from registry key {key}, but the mesh declares no discovery registry.",
    hint: "Add discovery: etcd({ endpoints: [\"http://<host>:2379\"], prefix: \"/meshc/<mesh>\" }) to defineMesh, or list the instances statically.",
  },
  RegistryEntryInvalid: {
    code: "MESH0803",
    severity: "warning",
    description: "`meshc serve` read a registry entry it cannot use (not JSON, a bad address or port, an unknown port name, an unknown service key, too large); it is logged, counted in meshc_registry_entries_rejected_total and ignored.",
    message: "Registry entry {key} is ignored: {problem}",
    hint: "Write entries with `meshc register`, or as documented in docs/dsl.md (Service discovery: key and JSON layout).",
  },
  RegistryUnreachable: {
    code: "MESH0804",
    severity: "warning",
    description: "`meshc serve` lost its registry (etcd); proxies keep the last known endpoints, /readyz says so and meshc_registry_connected is 0 until it is back.",
    message: "The registry at {endpoints} is unreachable ({problem}); serving the last known endpoints.",
    hint: "Check that etcd is running and reachable from meshc serve; changes made while it is away arrive when it returns.",
  },
  AmbiguousFailoverLocality: {
    code: "MESH0807",
    severity: "warning",
    description: "A bare locality failover entry names several localities of the service (a zone of that name in two regions, a name used as a region and as a zone); each caller takes the one nearest to it, and a caller near none of them matches none.",
    message: "Locality failover entry {locality} of service {service} names {count} localities ({paths}): each caller takes the one nearest to it (a sub-zone of its zone, else a zone of its region, else a region), and a caller near none of them matches none of them.",
    hint: "Write the locality as a path, \"region/zone\" or \"region/zone/subZone\" (e.g. {example}), to name exactly one.",
  },
  ReservedIdentity: {
    code: "MESH0715",
    severity: "error",
    description: "A service identity is the xDS server's own SPIFFE ID (spiffe://<trust domain>/meshc/xds-server), which proxies pin when they authenticate the control plane.",
    message: "Identity {identity} of service {service} is reserved for meshc's xDS server.",
    hint: "Choose another identity path (the default is {default}); a workload holding the server's identity could impersonate the control plane to every proxy.",
  },
  RefusedByEnvoySchema: {
    code: "MESH0901",
    severity: "error",
    description: "Configuration the Envoy backend generated was refused by Envoy's protobuf schema, its (validate.rules) or the snapshot consistency check. Nothing is written or served.",
    message: "generated Envoy configuration was refused: {issue}",
    hint: "This is a meshc bug that analysis should have caught; please report it with the mesh that triggers it.",
  },
  InvalidBuildDirectory: {
    code: "MESH0902",
    severity: "error",
    description: "`meshc serve <dir>` found a build directory it cannot serve: a missing or malformed file, or a resource Envoy's schema refuses. The previous snapshot keeps serving.",
    message: "{message}",
    hint: "Rebuild the directory with `meshc build`.",
  },
  StoredSnapshotUnusable: {
    code: "MESH0903",
    severity: "warning",
    description: "`meshc serve` found a warm-start snapshot in its state directory that it will not serve (compiled from another mesh, torn, or refused by Envoy's schema); it compiles the mesh before serving instead.",
    message: "the stored snapshot is not served: {message}",
    hint: "Nothing to do: the next good compile rewrites the state directory (delete it, or pass another --state-dir, to silence this).",
  },
  XdsWorkerExited: {
    code: "MESH0910",
    severity: "error",
    description: "An xDS serving worker of `meshc serve --workers N` exited while the server was not shutting down (crashed, killed, out of memory). The proxies whose streams it held lose them and reconnect to the shared xDS port; the worker is forked again.",
    message: "xDS worker {worker} exited unexpectedly ({reason}); restarting it",
    hint: "Its proxies reconnect on their own. If it keeps happening, the worker's stderr says why; restarts back off from 0.5 s to 30 s while it fails at start.",
  },
  // 10xx: mesh tests (`meshc test`, *.mesh.test.ts; emitted by src/testing/).
  TestEvaluationFailed: {
    code: "MESH1001",
    severity: "error",
    description: "A *.mesh.test.ts file could not be bundled or evaluated, threw, or passed meshTest something other than a mesh.",
    message: "{message}",
    hint: "Fix the test file: it imports its mesh (mesh.ts's default export) and calls meshTest(mesh, (t) => ...) from \"meshc/test\".",
  },
  NoMeshTests: {
    code: "MESH1002",
    severity: "error",
    description: "A *.mesh.test.ts file ran without declaring any test.",
    message: "{message}",
    hint: "Call meshTest(mesh, (t) => { t.expect(request({ from, to, path })).routesTo(...) }) at the top level of the file.",
  },
  InvalidTestRequest: {
    code: "MESH1003",
    severity: "error",
    description: "A test request names a caller or callee that is not in the mesh, a port the callee lacks, or a caller without a sidecar.",
    message: "{message}",
    hint: "Use service and port names of the mesh (or its typed references); the caller must be a service with a sidecar.",
  },
  InvalidExpectation: {
    code: "MESH1004",
    severity: "error",
    description: "An expectation cannot be checked: it names a subset, port or service the mesh does not have, or its values are malformed (a split that does not sum to 100, a bad duration).",
    message: "{message}",
    hint: "Name targets the mesh declares and give durations like \"2s\" or \"250ms\"; split shares sum to 100.",
  },
} as const satisfies Record<string, CodeInfo>;

export type CodeName = keyof typeof CODES;

/**
 * Codes that were published and are no longer emitted: their numbers stay reserved and are never reused.
 * MESH0302 WeightsNormalized (warning: a split not summing to 100 was normalized) became the error MESH0320.
 */
export const RETIRED_CODES: Readonly<Record<string, string>> = {
  MESH0302: "WeightsNormalized",
};

/** Placeholder names of a template: "a {x} b {y}" -> "x" | "y" (braces around text with a space are literal). */
type Placeholders<T extends string> = T extends `${string}{${infer P}}${infer Rest}`
  ? (P extends `${string} ${string}` ? never : P) | Placeholders<Rest>
  : never;

/** The values a code's message and hint need, checked at compile time. */
export type CodeParams<N extends CodeName> = Record<
  Placeholders<(typeof CODES)[N]["message"]> | Placeholders<(typeof CODES)[N]["hint"]>,
  string | number
>;

export function fillTemplate(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

/** Registry entries as a list sorted by code, for docs, tests and `--list-codes`. */
export function listCodes(): (CodeInfo & { name: CodeName })[] {
  return (Object.keys(CODES) as CodeName[])
    .map((name) => ({ name, ...CODES[name] }))
    .sort((a, b) => a.code.localeCompare(b.code));
}

/** Registry entry by code ("MESH0101"), or undefined. */
export function codeInfo(code: string): (CodeInfo & { name: CodeName }) | undefined {
  return listCodes().find((c) => c.code === code);
}
