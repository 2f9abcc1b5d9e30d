// PLACEHOLDER: replaced by the (validate.rules) implementation.
import type protobuf from "protobufjs";
import type { Canonical } from "./canonical.js";
import type { EnvoyIssue } from "./issues.js";
export function validateMessage(_type: protobuf.Type, _c: Canonical, _resource: string): EnvoyIssue[] {
  return [];
}
