// The one way tests get the grpc-go proxyless client and backend (test/grpc-go, built by scripts/build-grpc-go.sh
// from `npm run envoy:install` into .grpc-go/grpcgo): GRPCGO_BIN, else that file. Under CI=true a missing binary
// fails the test; elsewhere the test is skipped with the way to build it.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { isCI } from "./envoy.js";

export const REPO = join(import.meta.dirname, "..", "..");
export const GRPC_GO_BUILD_HINT = "build it with `npm run envoy:install` (scripts/build-grpc-go.sh: needs Go; modules come from the Go module proxy), or set GRPCGO_BIN";

/** The grpcgo binary, or undefined after marking the test skipped (outside CI). Under CI=true it throws. */
export function requireGrpcGo(t: TestContext): string | undefined {
  const bin = process.env.GRPCGO_BIN || join(REPO, ".grpc-go", "grpcgo");
  if (existsSync(bin)) return bin;
  const reason = `grpc-go test binary not found at ${bin}; ${GRPC_GO_BUILD_HINT}`;
  if (isCI) throw new Error(`CI=true and this test needs grpc-go: ${reason}`);
  t.skip(reason);
  return undefined;
}

/** google.golang.org/grpc's version pinned in test/grpc-go/go.mod (what the capability table documents). */
export function pinnedGrpcGoVersion(): string {
  const m = /^\s*(?:require\s+)?google\.golang\.org\/grpc (v\S+)/m.exec(readFileSync(join(REPO, "test", "grpc-go", "go.mod"), "utf8"));
  if (!m) throw new Error("test/grpc-go/go.mod pins no google.golang.org/grpc");
  return m[1]!;
}
