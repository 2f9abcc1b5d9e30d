// MESH0327 RegexTooComplex: Envoy refuses a regex whose RE2 program is larger than 100 instructions (its default
// re2.max_program_size.error_level). Computed by ../re2-program-size.ts (RE2's own steps, as Envoy compiles) on
// regexes that are otherwise valid (MESH0308/0309 report the rest).
import { routeSource, type Analyzer } from "../context.js";
import { q } from "../format.js";
import { corsOriginRegexes } from "../route-strings.js";
import { re2Error } from "../../re2/engine.js";
import { ENVOY_MAX_PROGRAM_SIZE, re2ProgramSize } from "../re2-program-size.js";

export const regexProgramSize: Analyzer = {
  name: "regex-program-size",
  codes: ["RegexTooComplex"],
  run(ctx) {
    const sizes = new Map<string, number | undefined>();
    for (const { service: s, route: r, index: i, value, regex, describe } of ctx.routeStrings()) {
      if (!regex) continue;
      if (!sizes.has(value)) sizes.set(value, re2Error(value) !== undefined ? undefined : re2ProgramSize(value));
      const size = sizes.get(value);
      if (size === undefined || size <= ENVOY_MAX_PROGRAM_SIZE) continue;
      const { field, path } = describe(["services", s.name, "routes", i]);
      ctx.report("RegexTooComplex", routeSource(s, r), path, { regex: q(value), where: `the ${field} of route ${q(r.name)}`, size });
    }
    for (const o of corsOriginRegexes(ctx.ir.services, routeSource)) {
      if (!sizes.has(o.value)) sizes.set(o.value, re2Error(o.value) !== undefined ? undefined : re2ProgramSize(o.value));
      const size = sizes.get(o.value);
      if (size !== undefined && size > ENVOY_MAX_PROGRAM_SIZE) ctx.report("RegexTooComplex", o.source, o.path, { regex: q(o.value), where: o.where, size });
    }
  },
};
