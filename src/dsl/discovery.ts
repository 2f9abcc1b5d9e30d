// Live service discovery (issue 16): `registry({ key })` takes a service's instances from the mesh's registry
// instead of (or besides) static ones, and `etcd({ endpoints, prefix })` on defineMesh says where that registry is.
// Policy stays in mesh.ts; endpoints come from the registry at `meshc serve` time (`meshc check`/`build` only check
// that the keys are well formed). See docs/dsl.md "Service discovery" for the key and JSON layout under the prefix.
import { SITE } from "./brand.js";
import { captureSite } from "./site.js";

/** Instances of a service read from the mesh's registry under `<prefix>/services/<key>/<instance id>`. */
export interface RegistryInstances {
  /** The registry key of the service (letters, digits, ".", "_" and "-"; usually the service's name). */
  readonly registry: string;
}

/**
 * Instances of this service come from the mesh's registry (`defineMesh({ discovery: etcd({...}) })`). Use it
 * alone (`instances: registry({ key: "catalog" })`) or beside static instances (`instances: ["10.0.0.1:8080",
 * registry({ key: "catalog" })]`).
 */
export function registry(options: { key: string }): RegistryInstances {
  return { registry: options?.key, [SITE]: captureSite(registry) } as RegistryInstances;
}

/** TLS to etcd: file paths read by `meshc serve` and `meshc register` (never by check/build). */
export interface EtcdTlsOptions {
  /** CA bundle (PEM) that signs etcd's server certificate. */
  ca?: string;
  /** Client certificate (PEM), with `key`, when etcd requires client certificates. */
  cert?: string;
  /** Client private key (PEM) file; its contents are never logged. */
  key?: string;
}

export interface EtcdOptions {
  /** etcd client URLs, e.g. `["http://10.0.0.5:2379", "http://10.0.0.6:2379"]`. */
  endpoints: readonly string[];
  /** Key prefix of this mesh's entries, e.g. `"/meshc/shop"`. @default "/meshc" */
  prefix?: string;
  tls?: EtcdTlsOptions;
}

/** Where a mesh's registry lives. */
export interface DiscoveryOptions {
  readonly etcd: { endpoints: string[]; prefix?: string; tls?: EtcdTlsOptions };
}

/** An etcd v3 cluster as the mesh's registry of live instances. */
export function etcd(options: EtcdOptions): DiscoveryOptions {
  const o = options ?? ({} as EtcdOptions);
  return {
    etcd: {
      endpoints: Array.isArray(o.endpoints) ? [...o.endpoints] : (o.endpoints as never),
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      ...(o.tls !== undefined ? { tls: typeof o.tls === "object" && o.tls !== null ? { ...o.tls } : o.tls } : {}),
    },
    [SITE]: captureSite(etcd),
  } as DiscoveryOptions;
}
