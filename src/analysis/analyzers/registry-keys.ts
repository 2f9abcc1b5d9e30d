// MESH0801 RegistryKeyMalformed, MESH0802 RegistryWithoutDiscovery (issue 16): a service's registry({ key }) must be
// one etcd path segment (its entries live at <prefix>/services/<key>/<id>), and the mesh must declare a registry.
// Checked statically: `meshc check`/`build` never contact the registry.
import type { Analyzer } from "../context.js";
import { q } from "../format.js";

/** The form of a registry key (also what `meshc serve` accepts when it reads keys under the prefix). */
export const REGISTRY_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;

export const registryKeys: Analyzer = {
  name: "registry-keys",
  codes: ["RegistryKeyMalformed", "RegistryWithoutDiscovery"],
  run(ctx) {
    for (const s of ctx.ir.services) {
      if (!s.registry) continue;
      const path = ["services", s.name, "instances"];
      const at = s.registry.source ?? s.source;
      if (!REGISTRY_KEY.test(s.registry.key)) ctx.report("RegistryKeyMalformed", at, path, { service: q(s.name), key: q(s.registry.key) });
      if (!ctx.ir.discovery) ctx.report("RegistryWithoutDiscovery", at, path, { service: q(s.name), key: q(s.registry.key) });
    }
  },
};
