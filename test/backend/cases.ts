// The backend golden cases: test/golden/backend/<case>/ir.json, each translated once per test process.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { translateMesh, type TranslateResult } from "../../src/backends/envoy/translate.js";
import type { MeshIR } from "../../src/ir/types.js";

export const GOLDEN_DIR = fileURLToPath(new URL("../golden/backend/", import.meta.url));

export function caseNames(): string[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadCase(name: string): MeshIR {
  return JSON.parse(readFileSync(join(GOLDEN_DIR, name, "ir.json"), "utf8")) as MeshIR;
}

const translated = new Map<string, { ir: MeshIR; result: TranslateResult }>();

export function translateCase(name: string): { ir: MeshIR; result: TranslateResult } {
  let t = translated.get(name);
  if (!t) {
    const ir = loadCase(name);
    translated.set(name, (t = { ir, result: translateMesh(ir) }));
  }
  return t;
}

/** Runs `fn` over `items` with at most `limit` in flight (Envoy validations on a shared 2-core machine). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Every file under `dir`: relative path ("/"-separated) -> content (latin1, so any bytes compare exactly). */
export function readTree(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix + e.name;
    if (e.isDirectory()) for (const [k, v] of readTree(join(dir, e.name), `${rel}/`)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, e.name), "latin1"));
  }
  return out;
}
