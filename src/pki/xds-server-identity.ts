// The xDS server's own SPIFFE identity, kept apart from bootstrap-credential.ts so that the compiler's analyzers
// (identity-reserved.ts) can name it without loading the X.509 library (@peculiar/x509 and its ASN.1 modules cost
// about 250 ms of start-up for every `meshc build` and `meshc check`).

/** The path of the xDS server's SPIFFE ID; no workload may hold it (MESH0715). */
export const XDS_SERVER_PATH = "/meshc/xds-server";

/** The SPIFFE ID the xDS server presents, which bootstraps pin: spiffe://<trust domain>/meshc/xds-server. */
export function xdsServerIdentity(trustDomain: string): string {
  return `spiffe://${trustDomain}${XDS_SERVER_PATH}`;
}
