// Reads a build directory (`meshc build --out DIR`) back into a MeshSnapshot, so `meshc serve DIR` can serve what
// CI reviewed. Every resource goes through the same strict codec and (validate.rules) as a compile, and equal
// resources are shared across proxies exactly as the translator shares them.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { contentHash, makeProxySnapshot } from "../../snapshot/build.js";
import { PUSH_ORDER, TYPE_URLS, type EncodedResource, type MeshSnapshot, type ResourceKind } from "../../snapshot/types.js";
import { encodeJson } from "./api/codec.js";
import { formatIssue } from "./api/issues.js";
import type { Json } from "./api/json.js";
import { checkConsistency } from "./consistency.js";
import { RESOURCE_TYPES, resourceLabel } from "./encode.js";
import { FILE_OF, MANIFEST } from "../../build/render.js";
import { parseCertificatePlan, type CertificatePlan } from "../../pki/plan.js";

export interface BuildDirProblem {
  file: string;
  message: string;
}

export type ReadBuildResult = { ok: true; snapshot: MeshSnapshot; files: string[]; certificates?: CertificatePlan } | { ok: false; problems: BuildDirProblem[] };

export async function readBuildDir(dir: string): Promise<ReadBuildResult> {
  const problems: BuildDirProblem[] = [];
  let entries: string[];
  let manifestText: string;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    manifestText = await readFile(join(dir, MANIFEST), "utf8");
  } catch (err) {
    return { ok: false, problems: [{ file: dir, message: `not a meshc build directory: ${(err as Error).message}` }] };
  }
  const shared = new Map<string, EncodedResource>();
  const proxies: MeshSnapshot["proxies"] = new Map();
  const files: string[] = [join(dir, MANIFEST)];
  for (const service of entries) {
    const byKind: Partial<Record<ResourceKind, EncodedResource[]>> = {};
    for (const kind of PUSH_ORDER) {
      const file = join(dir, service, FILE_OF[kind]);
      let text: string;
      try {
        text = await readFile(file, "utf8");
      } catch {
        if (kind !== "secret") problems.push({ file, message: "missing" });
        continue;
      }
      files.push(file);
      byKind[kind] = readResponse(file, kind, text, shared, problems);
    }
    try {
      const proxy = makeProxySnapshot(service, byKind);
      // P-31: a hand-edited directory must be as consistent as a compiled one before it is served.
      for (const issue of checkConsistency(proxy)) problems.push({ file: join(dir, service), message: formatIssue(issue) });
      proxies.set(service, proxy);
    } catch (err) {
      problems.push({ file: join(dir, service), message: (err as Error).message });
    }
  }
  // The certificate plan (meshes with mTLS): what `meshc serve --ca` issues for this build.
  let certificates: CertificatePlan | undefined;
  try {
    const manifest = JSON.parse(manifestText) as { certificates?: unknown };
    if (manifest.certificates !== undefined) {
      const r = parseCertificatePlan(manifest.certificates);
      if ("problems" in r) for (const message of r.problems) problems.push({ file: join(dir, MANIFEST), message });
      else {
        certificates = r.plan;
        for (const name of Object.keys(r.plan.identities)) {
          if (!proxies.has(name)) problems.push({ file: join(dir, MANIFEST), message: `certificates.identities names ${JSON.stringify(name)}, which has no directory here` });
        }
      }
    }
  } catch (err) {
    problems.push({ file: join(dir, MANIFEST), message: `invalid JSON: ${(err as Error).message}` });
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, snapshot: { proxies }, files, ...(certificates ? { certificates } : {}) };
}

function readResponse(file: string, kind: ResourceKind, text: string, shared: Map<string, EncodedResource>, problems: BuildDirProblem[]): EncodedResource[] {
  let doc: { type_url?: unknown; resources?: unknown };
  try {
    doc = JSON.parse(text);
  } catch (err) {
    problems.push({ file, message: `invalid JSON: ${(err as Error).message}` });
    return [];
  }
  if (doc.type_url !== TYPE_URLS[kind] || !Array.isArray(doc.resources)) {
    problems.push({ file, message: `expected a DiscoveryResponse with type_url ${TYPE_URLS[kind]} and a resources list` });
    return [];
  }
  const out: EncodedResource[] = [];
  doc.resources.forEach((raw: Record<string, Json>, i: number) => {
    const { "@type": url, ...json } = raw ?? {};
    const name = String((kind === "endpoint" ? json.cluster_name : json.name) ?? "");
    if (url !== TYPE_URLS[kind]) {
      problems.push({ file, message: `resources[${i}]: "@type" must be ${TYPE_URLS[kind]}` });
      return;
    }
    // The same resource text in many proxies' files (a shared cluster, its endpoints) is encoded and validated once:
    // equal JSON encodes to equal bytes, so the text is a safe key for what the encoder would return.
    const textKey = `${kind}\0text\0${JSON.stringify(raw)}`;
    const seen = shared.get(textKey);
    if (seen) {
      out.push(seen);
      return;
    }
    const r = encodeJson(RESOURCE_TYPES[kind], json, resourceLabel(kind, name));
    if (!r.ok) {
      for (const issue of r.issues) problems.push({ file, message: `resources[${i}]: ${formatIssue(issue)}` });
      return;
    }
    const hash = contentHash(r.message.bytes);
    const key = `${kind}\0${name}\0${hash}`;
    let res = shared.get(key);
    if (!res) {
      res = { name, typeUrl: TYPE_URLS[kind], bytes: r.message.bytes, hash };
      shared.set(key, res);
    }
    shared.set(textKey, res);
    out.push(res);
  });
  return out;
}
