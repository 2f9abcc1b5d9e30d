// `meshc proxy-config <service> [clusters|listeners|routes|endpoints|secrets|all]`: what the running `meshc serve`
// serves that service's proxies, as tables (src/proxy-config/tables.ts) or, with -o json|yaml, the raw resources.
// --envoy <admin-url> reads the same from a live Envoy's /config_dump instead; with --compare, shows where that Envoy
// differs from what the server intends (exit 1 when it does). Secrets show names, versions and what they hold, never
// key material. Exit 2 when the server or the Envoy cannot be asked, or the service is unknown. A service's snapshot
// variants (an instance with its own sidecar ports, a locality) are chosen with --variant; with --envoy --compare the
// Envoy is compared with the variant the server picks for that Envoy's node (its id, then its locality).
import { Argument, Option, type Command } from "@commander-js/extra-typings";
import { stringify } from "yaml";
import { compareResources, hasDifferences, renderComparison } from "../../proxy-config/compare.js";
import { fromEnvoyConfigDump, fromServerSnapshot, KINDS, nodeOfConfigDump, type Json, type ProxyResources } from "../../proxy-config/resources.js";
import { instanceVariantKey, localityVariantKey } from "../../snapshot/variants.js";
import { HEADERS, rows } from "../../proxy-config/tables.js";
import type { ResourceKind } from "../../snapshot/types.js";
import { ADMIN_OPTION, AdminError, DEFAULT_ADMIN_URL, TOKEN_OPTION, adminTarget, getJson, getText, table } from "../admin-client.js";

const WHAT = ["clusters", "listeners", "routes", "endpoints", "secrets", "all"] as const;
const KIND_OF: Record<(typeof WHAT)[number], ResourceKind[]> = {
  clusters: ["cluster"],
  listeners: ["listener"],
  routes: ["route"],
  endpoints: ["endpoint"],
  secrets: ["secret"],
  all: KINDS,
};

function raw(res: ProxyResources, kinds: ResourceKind[]): Record<string, unknown> {
  return Object.fromEntries(kinds.map((k) => [`${k}s`, res[k].map((r) => ({ name: r.name, ...(r.version !== undefined && { version: r.version }), resource: r.body }))]));
}

export function renderTables(res: ProxyResources, kinds: ResourceKind[]): string {
  const parts: string[] = [];
  for (const k of kinds) {
    const body = rows(k, res);
    if (kinds.length > 1 && body.length === 0 && k === "secret") continue; // no SDS without --ca: not worth a heading
    parts.push(`${kinds.length > 1 ? `${k.toUpperCase()}S\n` : ""}${body.length ? table([HEADERS[k], ...body]) : `(no ${k}s)\n`}`);
  }
  return parts.join("\n");
}

export function register(program: Command): void {
  program
    .command("proxy-config")
    .description("what a running `meshc serve` serves a service's proxies (or what a live Envoy runs, --envoy), as tables or raw resources")
    .argument("<service>", "the service (its proxies' node.cluster)")
    .addArgument(new Argument("[what]", "which resources").choices(WHAT).default("all" as const))
    .addOption(new Option("-o, --output <format>", "output format").choices(["table", "json", "yaml"] as const).default("table" as const))
    .option("--envoy <admin-url>", "read a live Envoy's admin /config_dump instead (e.g. http://127.0.0.1:15000)")
    .option("--compare", "with --envoy: show where the Envoy differs from what the server serves (exit 1 if it does)")
    .option("--variant <key>", "a snapshot variant of the service (instance:<node id>, locality:<region>,<zone>: /debug/snapshot/<service> lists them); with --envoy --compare, the one the server picks for that Envoy's node unless given")
    .option("--admin <url>", ADMIN_OPTION, DEFAULT_ADMIN_URL)
    .option("--admin-token-file <file>", TOKEN_OPTION)
    .action(async (service, what, opts, command) => {
      if (opts.compare && !opts.envoy) command.error("meshc proxy-config: --compare needs --envoy <admin-url>", { exitCode: 2 });
      const kinds = KIND_OF[what];
      try {
        const snapshotPath = (variant: string | undefined) =>
          `/debug/snapshot/${encodeURIComponent(service)}${variant === undefined ? "" : `?variant=${encodeURIComponent(variant)}`}`;
        const server = async (variant = opts.variant) => fromServerSnapshot(await getJson<Json>(adminTarget(opts), snapshotPath(variant)));
        const envoyDump = async () => {
          const text = await getText(opts.envoy!, "config_dump?include_eds");
          try {
            return JSON.parse(text) as Json;
          } catch {
            throw new AdminError(`${opts.envoy}/config_dump: not JSON`);
          }
        };
        const envoy = async () => fromEnvoyConfigDump(await envoyDump());
        if (opts.compare) {
          const dump = await envoyDump();
          // The variant this Envoy gets from the server, picked as the server picks it (src/snapshot/variants.ts).
          let variant = opts.variant;
          if (variant === undefined) {
            const listed = new Set(((await getJson<Json>(adminTarget(opts), snapshotPath(undefined))).variants ?? []) as string[]);
            const node = nodeOfConfigDump(dump);
            if (node && listed.has(instanceVariantKey(node.id))) variant = instanceVariantKey(node.id);
            else if (node && listed.has(localityVariantKey(node.locality))) variant = localityVariantKey(node.locality);
          }
          const s = await server(variant);
          const d = compareResources(s, fromEnvoyConfigDump(dump), kinds);
          const label = variant === undefined ? service : `${service} (variant ${variant})`;
          if (opts.output === "table") process.stdout.write(renderComparison(label, opts.envoy!, d));
          else {
            const out = { service, ...(variant !== undefined && { variant }), envoy: opts.envoy, same: !hasDifferences(d), differences: d };
            process.stdout.write(opts.output === "json" ? `${JSON.stringify(out, null, 2)}\n` : stringify(out, { lineWidth: 0 }));
          }
          process.exitCode = hasDifferences(d) ? 1 : 0;
          return;
        }
        const res = opts.envoy ? await envoy() : await server();
        if (opts.output === "table") process.stdout.write(renderTables(res, kinds));
        else if (opts.output === "json") process.stdout.write(`${JSON.stringify(raw(res, kinds), null, 2)}\n`);
        else process.stdout.write(stringify(raw(res, kinds), { lineWidth: 0 }));
      } catch (e) {
        if (e instanceof AdminError) return command.error(`meshc proxy-config: ${e.message}`, { exitCode: 2 }) as never;
        throw e;
      }
    });
}
