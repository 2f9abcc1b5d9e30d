// The fingerprints that decide whether a proxy's translation can be reused (issue 12 item 5), shared by `meshc serve`
// across reloads (src/serve/incremental-translate.ts) and `meshc build` across builds (src/build/translate-cache.ts),
// so both compare the same inputs the same way: the mesh-wide part of the IR (plus what the translator derives from
// every service), and per proxy the services its last translation read (translate-deps.ts).
import { sha256 } from "../../snapshot/sha256.js";
import type { MeshIR } from "../../ir/types.js";
import { EVERY_SERVICE } from "./translate-deps.js";
import { derivedMeshInputs } from "./translate.js";

export const inputHash = (text: string | Uint8Array): string => sha256(text, "base64");

export interface TranslationInputs {
  /** Two services with one name: reuse by name is not sound, translate everything. */
  duplicates: boolean;
  /** The IR without its services, and what the translator derives from all of them. */
  meshKey: string;
  /** The key of what a translation that read `reads` (sorted service names, or EVERY_SERVICE) depends on. */
  inputsKey(reads: readonly string[]): string;
}

export function translationInputs(ir: MeshIR): TranslationInputs {
  const serviceHash = new Map<string, string>();
  for (const s of ir.services) serviceHash.set(s.name, inputHash(JSON.stringify(s)));
  let everyKey: string | undefined;
  return {
    duplicates: serviceHash.size !== ir.services.length,
    meshKey: inputHash(JSON.stringify({ ...ir, services: undefined }) + derivedMeshInputs(ir)),
    inputsKey: (reads) => {
      if (reads.includes(EVERY_SERVICE)) return (everyKey ??= inputHash(ir.services.map((s) => `${s.name}\0${serviceHash.get(s.name)}`).join("\n")));
      return inputHash(reads.map((n) => `${n}\0${serviceHash.get(n) ?? "-"}`).join("\n"));
    },
  };
}
