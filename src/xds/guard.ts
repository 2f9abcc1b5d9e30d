// The server's side of the ADS wire (R6): requests are checked before they are decoded (the encoded `node` may not
// exceed a limit, so huge metadata is never turned into objects) and a request that cannot be decoded or is over a
// limit becomes a `RejectedRequest` value instead of an exception, so the stream ends with the right gRPC status
// (an exception would end it with INTERNAL). Responses arrive already serialized: the stream
// serializes them itself to know their size (queued-bytes cap, R8; oversize report, R7).
import { Status as GrpcStatus } from "./grpc-frame.js";
import protobuf from "protobufjs";
import { decodeDeltaRequest, decodeSotwRequest, type DeltaRequest, type SotwRequest } from "./wire.js";

export interface RejectedRequest {
  rejected: { code: GrpcStatus; details: string; reason: "undecodable" | "node_too_large" };
}

export function isRejected(r: object): r is RejectedRequest {
  return "rejected" in r;
}

/** Length of the (last) length-delimited field `field` at the top level of a message, or 0. Throws on bad wire data. */
function fieldLength(buf: Buffer, field: number): number {
  const r = protobuf.Reader.create(buf);
  let len = 0;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) {
      const n = r.uint32();
      len = n;
      r.skip(n);
    } else r.skipType(tag & 7);
  }
  return len;
}

function guarded<T>(decode: (b: Buffer) => T, nodeField: number, maxNodeBytes: () => number): (b: Buffer) => T | RejectedRequest {
  return (buf) => {
    try {
      const nodeBytes = fieldLength(buf, nodeField);
      if (nodeBytes > maxNodeBytes()) {
        return {
          rejected: {
            code: GrpcStatus.RESOURCE_EXHAUSTED,
            details: `node is ${nodeBytes} bytes encoded; this server accepts at most ${maxNodeBytes()} (metadata included)`,
            reason: "node_too_large",
          },
        };
      }
      return decode(buf);
    } catch (e) {
      return { rejected: { code: GrpcStatus.INVALID_ARGUMENT, details: `request is not a valid xDS message: ${(e as Error).message}`, reason: "undecodable" } };
    }
  };
}

/** The ADS request decoders the server's transport uses (./grpc-transport.ts): guarded, never throwing. */
export function requestDecoders(maxNodeBytes: () => number): {
  sotw: (b: Buffer) => SotwRequest | RejectedRequest;
  delta: (b: Buffer) => DeltaRequest | RejectedRequest;
} {
  return {
    sotw: guarded<SotwRequest>(decodeSotwRequest, 2, maxNodeBytes),
    delta: guarded<DeltaRequest>(decodeDeltaRequest, 1, maxNodeBytes),
  };
}
