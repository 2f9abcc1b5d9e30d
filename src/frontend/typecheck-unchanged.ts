// `meshc build` of a mesh whose every module is byte for byte what the last check of it saw: the check's
// diagnostics are answered from meshc's cache folder without creating a program (parsing lib, DSL and the user's
// files and binding them is most of a rebuild's check). Beside TypeScript's own record (typecheck-cache.ts, same
// envelope and key), the record lists every file of the program with the SHA-256 of its text, every import
// specifier of the non-lib files with what it resolved to, and TypeScript's error diagnostics (file, offset,
// length, code, text); the hints and line:col are derived again from them as on a full check.
//
// It fails closed: the record is used only if each file's text has the recorded hash and each import, resolved
// again by TypeScript now (a module created since may win a lookup), resolves to the recorded file; a program
// whose files are not exactly the closure of those imports (/// references, anything the scan does not see) gets
// no record. Anything else is a full (incremental) check.
//
// One change is answered too: a module edited only inside literals whose type cannot depend on their value, after a
// check without errors (typecheck-literals.ts). The record then takes the new texts' hashes.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type * as TS from "typescript";
import { readTypecheckRecord, writeTypecheckRecord } from "./typecheck-cache.js";
import { literalRecord, skeletonHash, type LiteralRecord } from "./typecheck-literals.js";

type Import = [from: string, specifier: string, to: string | null];
export interface RawDiagnostic {
  file?: string;
  start?: number;
  length?: number;
  code: number;
  category: number;
  text: string;
}
export interface UnchangedRecord {
  files: [path: string, sha256: string][];
  /** The lib files among them (reached through the options, not through imports). */
  libs: string[];
  imports: Import[];
  diagnostics: RawDiagnostic[];
  own: string[];
  /** After a check without errors: each own module's safe literals and skeleton (typecheck-literals.ts). */
  literals?: { [file: string]: LiteralRecord };
}

const sha = (text: string) => createHash("sha256").update(text).digest("base64");

/** Beside TypeScript's record, in a folder of its own: typecheck/<name>.tsbuildinfo -> typecheck-unchanged/<name>.json. */
export const unchangedRecordPath = (tsbuildinfo: string) => join(dirname(dirname(tsbuildinfo)), "typecheck-unchanged", `${basename(tsbuildinfo, ".tsbuildinfo")}.json`);

/**
 * The key of the record: the check's key and the SHA-256 of TypeScript's record as it is on disk now, so that this
 * record holds only beside the TypeScript record written with it (one missing, spoiled or replaced: a real check).
 */
export function unchangedKey(key: string, tsbuildinfo: string): string | undefined {
  try {
    return `${key} ${createHash("sha256").update(readFileSync(tsbuildinfo)).digest("base64")}`;
  } catch {
    return undefined;
  }
}

/**
 * The imports of every non-lib file reachable from `entry`, resolved as TypeScript resolves them, and each reached
 * file's text; undefined if a file cannot be read or uses a reference form the import scan does not follow.
 */
function closure(ts: typeof TS, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, isLib: (f: string) => boolean): { texts: Map<string, string>; imports: Import[] } | undefined {
  const texts = new Map<string, string>();
  const imports: Import[] = [];
  const queue = [resolve(entry)];
  while (queue.length) {
    const file = queue.shift()!;
    if (texts.has(file)) continue;
    const text = host.readFile(file);
    if (text === undefined) return undefined;
    texts.set(file, text);
    if (isLib(file) || file.endsWith(".json")) continue;
    const info = ts.preProcessFile(text, true, false);
    if (info.referencedFiles.length || info.typeReferenceDirectives.length || info.libReferenceDirectives.length) return undefined;
    for (const { fileName } of info.importedFiles) {
      const r = ts.resolveModuleName(fileName, file, options, host).resolvedModule;
      const to = r ? resolve(r.resolvedFileName) : null;
      imports.push([file, fileName, to]);
      if (to) queue.push(to);
    }
  }
  return { texts, imports };
}

/** The recorded result if nothing the check read has changed since; undefined otherwise. */
export function readUnchanged(ts: typeof TS, path: string, key: string, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost): { diagnostics: RawDiagnostic[]; own: string[]; texts: Map<string, string> } | undefined {
  const body = readTypecheckRecord(path, key);
  if (body === undefined) return undefined;
  try {
    const rec = JSON.parse(body) as UnchangedRecord;
    const answer = answerFromRecord(ts, rec, entry, options, host);
    if (answer?.edited) writeTypecheckRecord(path, key, JSON.stringify(rec));
    return answer;
  } catch {
    return undefined;
  }
}

/**
 * The result `rec` holds if nothing it read has changed since, or only literals it lists as safe (then `edited`, and
 * `rec` takes the new texts' hashes); undefined otherwise. `meshc serve` keeps its record in memory.
 */
export function answerFromRecord(ts: typeof TS, rec: UnchangedRecord, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost): { diagnostics: RawDiagnostic[]; own: string[]; texts: Map<string, string>; edited: boolean } | undefined {
  try {
    const libs = new Set(rec.libs);
    const now = closure(ts, entry, options, host, (f) => libs.has(f));
    if (!now || JSON.stringify(now.imports) !== JSON.stringify(rec.imports)) return undefined;
    const texts = new Map(now.texts);
    const hashes: [number, string][] = [];
    for (const [i, [f, h]] of rec.files.entries()) {
      const text = texts.get(f) ?? host.readFile(f);
      if (text === undefined) return undefined;
      texts.set(f, text);
      const now = sha(text);
      if (now === h) continue;
      // Edited only inside safe literals: the check would find what it found before (nothing).
      const literals = rec.literals?.[f];
      if (rec.diagnostics.length !== 0 || !literals || skeletonHash(ts, text, literals.safe) !== literals.skeleton) return undefined;
      hashes.push([i, now]);
    }
    if (texts.size !== rec.files.length) return undefined;
    for (const [i, h] of hashes) rec.files[i]![1] = h;
    return { diagnostics: rec.diagnostics, own: rec.own, texts, edited: hashes.length > 0 };
  } catch {
    return undefined;
  }
}

/** Records a finished check's result, if the program is exactly what the import scan reaches. Never throws. */
export function writeUnchanged(ts: typeof TS, path: string, key: string, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, program: TS.Program, found: readonly TS.Diagnostic[], own: string[]): void {
  const record = unchangedRecord(ts, entry, options, host, program, found, own);
  if (record) writeTypecheckRecord(path, key, JSON.stringify(record));
}

/** The record of a finished check, if the program is exactly what the import scan reaches. Never throws. */
export function unchangedRecord(ts: typeof TS, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, program: TS.Program, found: readonly TS.Diagnostic[], own: string[]): UnchangedRecord | undefined {
  try {
    const files = program.getSourceFiles().map((sf) => [resolve(sf.fileName), sf] as const);
    const libs = new Set(files.filter(([, sf]) => program.isSourceFileDefaultLibrary(sf)).map(([f]) => f));
    // The texts the program checked (a file may have been saved again since: `meshc serve` makes its record later).
    const checked = new Map(files.map(([f, sf]) => [f, sf.text]));
    const scan = closure(ts, entry, options, { ...host, readFile: (f: string) => checked.get(resolve(f)) ?? host.readFile(f) } as TS.CompilerHost, (f) => libs.has(f));
    if (!scan) return undefined;
    const nonLib = files.filter(([f]) => !libs.has(f));
    // The scan must reach exactly the program's files, each with the text the program checked.
    if (nonLib.length !== scan.texts.size || nonLib.some(([f, sf]) => scan.texts.get(f) !== sf.text)) return undefined;
    // And each import must resolve now as it did for the program: a package.json or a module created during the check
    // may change a resolution without changing any file the program read.
    if (!resolvedAsChecked(program, nonLib, scan.imports)) return undefined;
    const diagnostics: RawDiagnostic[] = found
      .filter((d) => d.category === ts.DiagnosticCategory.Error)
      .map((d) => ({
        ...(d.file ? { file: resolve(d.file.fileName) } : {}),
        ...(d.start !== undefined ? { start: d.start } : {}),
        ...(d.length !== undefined ? { length: d.length } : {}),
        code: d.code,
        category: d.category,
        text: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
      }));
    if (diagnostics.some((d) => d.file !== undefined && !scan.texts.has(d.file))) return undefined;
    const record: UnchangedRecord = { files: files.map(([f, sf]) => [f, sha(sf.text)]), libs: [...libs], imports: scan.imports, diagnostics, own };
    if (diagnostics.length === 0) record.literals = literalRecords(ts, program, own);
    return record;
  } catch {
    return undefined;
  }
}

/** Whether every import of the scan resolves to the file the program resolved it to (false when that cannot be told). */
function resolvedAsChecked(program: TS.Program, files: readonly (readonly [string, TS.SourceFile])[], imports: readonly Import[]): boolean {
  const resolvedBy = (program as unknown as { getResolvedModuleFromModuleSpecifier?: (s: TS.StringLiteralLike, sf: TS.SourceFile) => TS.ResolvedModuleWithFailedLookupLocations | undefined }).getResolvedModuleFromModuleSpecifier;
  if (typeof resolvedBy !== "function") return false;
  const checked = new Map<string, string | null>();
  for (const [f, sf] of files) {
    for (const specifier of (sf as unknown as { imports?: readonly TS.StringLiteralLike[] }).imports ?? []) {
      const r = resolvedBy.call(program, specifier, sf)?.resolvedModule;
      checked.set(`${f}\0${specifier.text}`, r ? resolve(r.resolvedFileName) : null);
    }
  }
  return imports.every(([from, specifier, to]) => checked.has(`${from}\0${specifier}`) && checked.get(`${from}\0${specifier}`) === to);
}

/** The literal records of the user's own TypeScript modules (not declaration files, not JSON). */
function literalRecords(ts: typeof TS, program: TS.Program, own: readonly string[]): { [file: string]: LiteralRecord } {
  const checker = program.getTypeChecker();
  const out: { [file: string]: LiteralRecord } = {};
  for (const f of own) {
    const sf = program.getSourceFile(f);
    if (!sf || sf.isDeclarationFile || !/\.[mc]?ts$/.test(f)) continue;
    const rec = literalRecord(ts, checker, sf);
    if (rec) out[f] = rec;
  }
  return out;
}

/** 0-based line and UTF-16 character of `pos` in `text`, with TypeScript's line breaks (LF, CR, CRLF, LS, PS). */
export function lineAndCharacter(text: string, pos: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue; // CRLF: the break is at the LF
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      line++;
      start = i + 1;
    }
  }
  return { line, character: pos - start };
}
