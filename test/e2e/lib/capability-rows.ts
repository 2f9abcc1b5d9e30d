// Which end-to-end test backs which grpc-js-xds row of the proxyless capability table (src/proxyless/capabilities.ts),
// so the tests together can check that every row has one: proxyless-go.test.ts runs the grpc-js-xds rows that need
// the grpc-go backends' knobs (slow or failing hosts), proxyless-js-fails.test.ts the rows that need meshes of their
// own (grpc-js-xds refuses a whole route configuration holding a redirect or a direct response).
export const JS_FAILS_ROWS = ["queryMatch", "redirect", "directResponse"] as const;
