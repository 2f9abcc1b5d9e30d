// SDS Secret resources for `meshc serve --ca` (never for `meshc build`, which stays key-free): a proxy's own leaf
// ("default": certificate chain + private key) and the trust bundle ("ROOTCA"), the names ./tls.ts references.
// Encoded straight through the API door, bypassing ResourceEncoder's content memo so no key sits in a cache key;
// an encoding problem is reported without field values, since those would include the key.
import { contentHash } from "../../snapshot/build.js";
import { TYPE_URLS, type EncodedResource } from "../../snapshot/types.js";
import type { SecretPem } from "../../pki/secret.js";
import { encodeMessage } from "./api/codec.js";
import { IDENTITY_SECRET, TRUST_BUNDLE_SECRET } from "./tls.js";

function encodeSecret(name: string, msg: Parameters<typeof encodeMessage<"envoy.extensions.transport_sockets.tls.v3.Secret">>[1]): EncodedResource {
  const r = encodeMessage("envoy.extensions.transport_sockets.tls.v3.Secret", msg, `Secret ${JSON.stringify(name)}`);
  if (!r.ok) throw new Error(`Secret ${JSON.stringify(name)} was refused by Envoy's schema (${r.issues.length} issue(s); values not shown)`);
  return { name, typeUrl: TYPE_URLS.secret, bytes: r.message.bytes, hash: contentHash(r.message.bytes) };
}

/** The proxy's leaf: certificate followed by its chain up to (not including) the root, and its private key. */
export function identitySecret(certChainPem: string, key: SecretPem): EncodedResource {
  return encodeSecret(IDENTITY_SECRET, {
    name: IDENTITY_SECRET,
    tls_certificate: { certificate_chain: { inline_string: certChainPem }, private_key: { inline_string: key.reveal() } },
  });
}

/** The roots a proxy trusts (concatenated PEM). */
export function trustBundleSecret(bundlePem: string): EncodedResource {
  return encodeSecret(TRUST_BUNDLE_SECRET, { name: TRUST_BUNDLE_SECRET, validation_context: { trusted_ca: { inline_string: bundlePem } } });
}
