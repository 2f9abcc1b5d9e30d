// Small constructors for Envoy's recurring value shapes, so builders read like the config they produce.
import { isIP } from "node:net";
import type { ConfigSource, Duration, FractionalPercent, Address } from "./xds-types.js";

/** Whole milliseconds -> google.protobuf.Duration (omits zero parts, as the canonical form does). */
export function duration(ms: number): Duration {
  const whole = Math.round(ms);
  const seconds = Math.floor(whole / 1000);
  const nanos = (whole % 1000) * 1_000_000;
  return nanos ? (seconds ? { seconds, nanos } : { nanos }) : { seconds };
}

export function u32(value: number): { value: number } {
  return { value };
}

/**
 * A percentage 0..100 as a FractionalPercent: per hundred when whole, else per million (Envoy's finest
 * denominator), so 0.5 % stays exact. The schema refuses a share other than 0 below one in a million (MIN_PERCENT),
 * which would round to 0 here.
 */
export function fractionalPercent(percent: number): FractionalPercent {
  if (Number.isInteger(percent)) return { numerator: percent, denominator: "HUNDRED" };
  return { numerator: Math.round(percent * 10_000), denominator: "MILLION" };
}

/** Resources of every dynamic kind come over the one ADS stream. */
export function adsConfigSource(): ConfigSource {
  return { ads: {}, resource_api_version: "V3" };
}

export function socketAddress(address: string, port: number): Address {
  return { socket_address: { address, port_value: port } };
}

/** True for a literal IPv4/IPv6 address (STATIC/EDS endpoints need one; hostnames need DNS clusters). */
export function isIpAddress(address: string): boolean {
  // Envoy's parser: no leading zeros in IPv4 (01.2.3.4), no 999.1.1.1, no zone id: node:net agrees.
  return !address.includes("%") && isIP(address) !== 0;
}
