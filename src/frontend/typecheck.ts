// Stage 1: type-check the mesh's import graph with the TypeScript compiler API. Lean on purpose: no @types, one
// lib, skipLibCheck, and parsed lib/DSL files cached across runs (watch mode and tests reload often).
import { createHash } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve, sep, join } from "node:path";
import type * as TS from "typescript";
import type { Diagnostic } from "../diagnostics/types.js";
import { codes } from "./codes.js";
import { loadTypescriptCached, type LoadedTypescript } from "./typescript-code-cache.js";
import { answerFromRecord, lineAndCharacter, readUnchanged, unchangedKey, unchangedRecord, unchangedRecordPath, writeUnchanged, type UnchangedRecord } from "./typecheck-unchanged.js";
import { readTypecheckRecord, typecheckCacheKey, typecheckCachePath, writeTypecheckRecord } from "./typecheck-cache.js";

export interface TypecheckResult {
  diagnostics: Diagnostic[];
  /** The user's own modules in the program (absolute paths), for watchers even when checking fails. */
  files: string[];
  /** Incremental and persisted checks: how many of the user's modules TypeScript checked (the others' results were reused). */
  checked?: number;
  /** With persist "later": writes the check's records to meshc's cache folder; the caller runs it once the result is on its way. */
  save?: () => void;
}

const cache = new Map<string, { mtimeMs: number; file: TS.SourceFile }>();

let api: typeof TS | undefined;
/**
 * The compiler, loaded on first use with require(): an ESM import of this 9 MB CommonJS file makes Node scan it
 * for named exports first (~150 ms), and commands that never type-check should not pay for loading it at all.
 */
export function typescript(): typeof TS {
  return (api ??= createRequire(import.meta.url)("typescript") as typeof TS);
}

let loaded: LoadedTypescript | undefined;

/**
 * Loads the compiler from a given file (the checker thread runs from a bundle whose location resolves nothing),
 * with `codeCache` through V8's code cache in meshc's cache folder (typescript-code-cache.ts; require() on any doubt).
 * Returns whether V8 took a cached compilation.
 */
export function useTypescriptFrom(path: string, codeCache = false): boolean {
  if (api) return false;
  if (codeCache) {
    try {
      loaded = loadTypescriptCached(path);
      api = loaded.exports as typeof TS;
      return loaded.cached;
    } catch {
      loaded = undefined;
    }
  }
  api = createRequire(path)(path) as typeof TS;
  return false;
}

/** After a check: keeps the compiled code of what it ran for the next process, if no cache was used. */
export function saveTypescriptCodeCache(): void {
  loaded?.save();
}

export function compilerOptions(dslEntry: string): TS.CompilerOptions {
  const ts = typescript();
  return {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2022.d.ts"],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    allowImportingTsExtensions: true,
    resolveJsonModule: true,
    isolatedModules: true,
    noFallthroughCasesInSwitch: true,
    forceConsistentCasingInFileNames: true,
    // "meshc/test" (src/dsl/testing.ts) is what *.mesh.test.ts files import (meshc test).
    paths: { meshc: [dslEntry], "meshc/test": [join(dirname(dslEntry), "testing.ts")] },
  };
}

function cachingHost(options: TS.CompilerOptions, cacheDirs: string[]): TS.CompilerHost {
  const host = typescript().createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const abs = resolve(fileName);
    if (!cacheDirs.some((d) => abs.startsWith(d))) return read(fileName, languageVersion, onError, shouldCreate);
    let mtimeMs = 0;
    try {
      mtimeMs = statSync(abs).mtimeMs;
    } catch {
      return read(fileName, languageVersion, onError, shouldCreate);
    }
    const hit = cache.get(abs);
    if (hit && hit.mtimeMs === mtimeMs) return hit.file;
    const file = read(fileName, languageVersion, onError, shouldCreate);
    if (file) cache.set(abs, { mtimeMs, file });
    return file;
  };
  return host;
}

/** Hints for the DSL's most common type errors, matched on TypeScript's message; first match wins. */
const HINTS: [RegExp, string | ((m: RegExpExecArray) => string)][] = [
  [/'RouteStart' is not assignable/, "give the route an action: .to(), .split(), .redirect() or .respond()"],
  [/not assignable to (parameter of )?type '(Duration|`\$\{number\}ms`)/, 'durations look like "250ms", "1.5s", "2m" or "1h"'],
  [/Did you mean to write '([^']+)'\?/, (m) => `did you mean "${m[1]}"?`],
  [/Argument of type '"[^"]*"' is not assignable to parameter of type '((?:"[^"]*"(?: \| )?)+)'/, (m) => `use one of the declared names: ${m[1]}`],
  [/Type '"[^"]*"' is not assignable to type '((?:"[^"]*"(?: \| )?)+)'/, (m) => `use one of: ${m[1]}`],
  [/(?:Argument of type|Type) '([^']+)' is not assignable to (?:parameter of )?type '([^']*(?:ServiceRef<|SubsetRef<|Target)[^']*)'/, (m) => referenceHint(m[1]!, m[2]!)],
  [/Type '([^']+)' is missing the following properties from type '([^']*(?:ServiceRef<|SubsetRef<)[^']*)'/, (m) => referenceHint(m[1]!, m[2]!)],
  [/'ServiceRef<|parameter of type 'Target'/, "pass the value mesh.service() returned (a typed reference), not the service's name as a string"],
  [/Object literal may only specify known properties, and '([^']+)'/, (m) => `remove "${m[1]}" or check the option's name (docs/dsl.md lists every option)`],
  [/Property '([^']+)' does not exist on type/, (m) => `"${m[1]}" is not available here; see docs/dsl.md for what this object offers`],
  [/Cannot find module '([^']+)'/, (m) => `check the path "${m[1]}": relative imports of .ts modules are written with a .js (or .ts) extension`],
  [/is not assignable to (parameter of )?type 'number'/, "write the number itself, not a string"],
];

/** What was passed where a service/subset reference was expected, and what fits there. */
function referenceHint(passed: string, expected: string): string {
  const wants = expected.includes("SubsetRef") || expected.includes("Target") ? "a service or subset reference" : "a service reference";
  if (passed.startsWith("SubsetRef<")) {
    return `this takes ${wants} (${expected}), but ${passed} is one subset of a service: pass the service itself (\`svc\`, not \`svc.subset(…)\`); subsets fit route targets (.to, .split, .mirror) and mesh.policy(svc.subset(…), …)`;
  }
  if (passed.startsWith("PortRef<")) {
    return `this takes ${wants} (${expected}), but ${passed} is one port of a service: pass the service itself (\`svc\`, not \`svc.port(…)\`); ports fit .to(svc.port(…)), match.port and sidecar.tcpOutbound`;
  }
  if (passed === "string" || passed.startsWith('"') || passed.startsWith("`")) {
    return "pass the value mesh.service() returned (a typed reference), not the service's name as a string";
  }
  return `this takes ${wants} (${expected}): the value mesh.service() or defineService() returned; got ${passed}`;
}

function toDiagnostic(d: TS.Diagnostic): Diagnostic {
  const ts = typescript();
  const message = `${ts.flattenDiagnosticMessageText(d.messageText, "\n")} (TS${d.code})`;
  const out: Diagnostic = { code: codes.TypeError, severity: "error", message };
  for (const [re, hint] of HINTS) {
    const m = re.exec(message);
    if (m) {
      out.hint = typeof hint === "string" ? hint : hint(m);
      break;
    }
  }
  if (d.file && d.start !== undefined) {
    const start = d.file.getLineAndCharacterOfPosition(d.start);
    const end = d.file.getLineAndCharacterOfPosition(d.start + (d.length ?? 0));
    out.file = resolve(d.file.fileName);
    out.line = start.line + 1;
    out.column = start.character + 1;
    out.endLine = end.line + 1;
    out.endColumn = end.character + 1;
  }
  return out;
}

/**
 * What a long-lived checker (typecheck-worker.ts in `meshc serve`) keeps between checks: the previous builder
 * program (TypeScript re-checks only files whose text changed and those whose dependencies' declarations changed)
 * and the user's parsed files, reused while their text is unchanged.
 */
export interface IncrementalState {
  builder?: TS.SemanticDiagnosticsBuilderProgram;
  key?: string;
  userFiles: Map<string, { text: string; file: TS.SourceFile }>;
  /** The record of the last check, kept after a check without errors (typecheck-unchanged.ts, typecheck-literals.ts). */
  record?: UnchangedRecord;
  /** Makes `record` from the last check; the checker thread runs it after replying, else the next check does. */
  settle?: () => void;
}

/**
 * Type-checks `entry` and everything it imports; reports errors in the user's modules only. With `persist`
 * (`meshc build`), TypeScript's incremental state is read from and written to meshc's cache folder
 * (typecheck-cache.ts), so files unchanged since the last check of this entry are not checked again; with "later",
 * written by the result's save() (the checker thread replies first: writing the records of a 1,000-service mesh
 * takes up to half a second).
 */
export function typecheck(entry: string, dslEntry: string, state?: IncrementalState, persist: boolean | "later" = false): TypecheckResult {
  return placed(entry, check(entry, dslEntry, state, persist));
}

/**
 * Every diagnostic has a place: one TypeScript gives without a file (an options or global diagnostic, or one a
 * record of an earlier check answers without its text) is put at the entry's first line, as evaluation errors are.
 */
function placed<R extends TypecheckResult>(entry: string, r: R): R {
  if (r.diagnostics.every((d) => d.file !== undefined)) return r;
  const file = resolve(entry);
  return { ...r, diagnostics: r.diagnostics.map((d) => (d.file === undefined ? { ...d, file, line: 1, column: 1 } : d)) };
}

function check(entry: string, dslEntry: string, state?: IncrementalState, persist: boolean | "later" = false): TypecheckResult {
  const ts = typescript();
  const options = compilerOptions(dslEntry);
  const dslDir = dirname(dslEntry) + sep;
  const libDir = dirname(ts.getDefaultLibFilePath(options)) + sep;
  const host = cachingHost(options, [libDir, dslDir]);
  if (state) return checkInMemory(ts, entry, options, host, dslDir, state);
  if (persist === "later") return checkPersisted(ts, entry, options, host, dslDir);
  if (persist) {
    const { save, ...result } = checkPersisted(ts, entry, options, host, dslDir);
    save?.();
    return result;
  }
  const program = ts.createProgram({ rootNames: [resolve(entry)], options, host });
  const own = program
    .getSourceFiles()
    .filter(
      (sf) =>
        !program.isSourceFileDefaultLibrary(sf) &&
        !program.isSourceFileFromExternalLibrary(sf) &&
        !resolve(sf.fileName).startsWith(dslDir) &&
        !(sf.isDeclarationFile && sf.fileName.includes(`${sep}node_modules${sep}`)),
    );
  const found: TS.Diagnostic[] = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const sf of own) found.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  return {
    diagnostics: found.filter((d) => d.category === ts.DiagnosticCategory.Error).map(toDiagnostic),
    files: own.map((sf) => resolve(sf.fileName)).sort(),
  };
}

/**
 * A check in a long-lived checker: answered from the record of the last check when only literals whose type cannot
 * depend on their value changed since (or nothing did); otherwise TypeScript's builder re-checks what changed. The
 * builder then still holds the older texts, so the next real check re-checks the files edited in between.
 */
function checkInMemory(ts: typeof TS, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, dslDir: string, state: IncrementalState): TypecheckResult {
  state.settle?.();
  if (state.record && state.key === `${resolve(entry)}\0${dslDir}`) {
    const answer = answerFromRecord(ts, state.record, entry, options, host);
    if (answer && answer.diagnostics.length === 0) return { diagnostics: [], files: [...answer.own], checked: 0 };
  }
  state.record = undefined;
  const raw: RawCheck = {};
  const result = checkIncremental(ts, entry, options, host, dslDir, state, raw);
  const { program, found } = raw;
  if (result.diagnostics.length === 0 && program && found) {
    // Not on the way to the result: the literal records of a 1,000-service mesh take 0.1-0.4 s.
    state.settle = () => {
      state.settle = undefined;
      state.record = unchangedRecord(ts, entry, options, host, program, found, result.files);
    };
  }
  return result;
}

/** A check that starts from the state the last check of `entry` left on disk, and leaves its own there. */
function checkPersisted(ts: typeof TS, entry: string, base: TS.CompilerOptions, host: TS.CompilerHost, dslDir: string): TypecheckResult {
  const path = typecheckCachePath(entry);
  const options: TS.CompilerOptions = { ...base, incremental: true, tsBuildInfoFile: path };
  const key = typecheckCacheKey(ts, entry, options);
  const unchangedPath = unchangedRecordPath(path);
  const sameKey = unchangedKey(key, path);
  const same = sameKey === undefined ? undefined : readUnchanged(ts, unchangedPath, sameKey, entry, options, host);
  if (same) {
    // Nothing the last check read has changed: its diagnostics, placed in the same texts.
    const diagnostics = same.diagnostics.map((d) => {
      const text = d.file === undefined ? undefined : same.texts.get(d.file);
      const file = d.file === undefined || text === undefined ? undefined : { fileName: d.file, getLineAndCharacterOfPosition: (pos: number) => lineAndCharacter(text, pos) };
      return toDiagnostic({ file: file as TS.SourceFile | undefined, start: d.start, length: d.length, code: d.code, category: d.category, messageText: d.text });
    });
    return { diagnostics, files: [...same.own], checked: 0 };
  }
  const state: IncrementalState = { userFiles: new Map(), key: `${resolve(entry)}\0${dslDir}` };
  const text = readTypecheckRecord(path, key);
  if (text !== undefined) {
    try {
      const readHost = { useCaseSensitiveFileNames: () => host.useCaseSensitiveFileNames(), getCurrentDirectory: () => host.getCurrentDirectory(), readFile: (f: string) => (resolve(f) === path ? text : undefined) };
      state.builder = ts.readBuilderProgram(options, readHost) as unknown as TS.SemanticDiagnosticsBuilderProgram | undefined;
    } catch {
      state.builder = undefined;
    }
  }
  let result: TypecheckResult;
  const raw: RawCheck = {};
  try {
    result = checkIncremental(ts, entry, options, host, dslDir, state, raw);
  } catch (e) {
    // A record TypeScript could read but not build on: check from scratch, as if there were none.
    if (text === undefined) throw e;
    return checkPersistedFresh(ts, entry, options, host, dslDir, path, key);
  }
  return { ...result, save: () => saveWithUnchanged(ts, state, raw, result, path, key, entry, options, host) };
}

function checkPersistedFresh(ts: typeof TS, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, dslDir: string, path: string, key: string): TypecheckResult {
  const state: IncrementalState = { userFiles: new Map(), key: `${resolve(entry)}\0${dslDir}` };
  const raw: RawCheck = {};
  const result = checkIncremental(ts, entry, options, host, dslDir, state, raw);
  return { ...result, save: () => saveWithUnchanged(ts, state, raw, result, path, key, entry, options, host) };
}

/** TypeScript's record, then the record of this result keyed by it (none if TypeScript's was not written). */
function saveWithUnchanged(ts: typeof TS, state: IncrementalState, raw: RawCheck, result: TypecheckResult, path: string, key: string, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost): void {
  try {
    rmSync(unchangedRecordPath(path), { force: true });
  } catch {
    // an unusable cache folder: nothing is written below either
  }
  save(state, path, key);
  const sameKey = unchangedKey(key, path);
  if (sameKey !== undefined && raw.program && raw.found) writeUnchanged(ts, unchangedRecordPath(path), sameKey, entry, options, host, raw.program, raw.found, result.files);
}

/** What a check saw, for the record of an unchanged mesh (typecheck-unchanged.ts). */
interface RawCheck {
  program?: TS.Program;
  found?: TS.Diagnostic[];
}

function save(state: IncrementalState, path: string, key: string): void {
  let body: string | undefined;
  try {
    // With noEmit, emit() writes nothing but the incremental state (TypeScript's .tsbuildinfo text).
    state.builder?.emit(undefined, (name, data) => {
      if (resolve(name) === path) body = data;
    });
  } catch {
    body = undefined;
  }
  if (body !== undefined) writeTypecheckRecord(path, key, body);
}

function checkIncremental(ts: typeof TS, entry: string, options: TS.CompilerOptions, host: TS.CompilerHost, dslDir: string, state: IncrementalState, raw?: RawCheck): TypecheckResult {
  const key = `${resolve(entry)}\0${dslDir}`;
  if (state.key !== key) {
    state.builder = undefined;
    state.userFiles.clear();
    state.key = key;
  }
  // The builder compares files by version: the hash of their text.
  const versioned = (f: TS.SourceFile | undefined): TS.SourceFile | undefined => {
    const v = f as (TS.SourceFile & { version?: string }) | undefined;
    if (v && v.version === undefined) v.version = createHash("sha256").update(v.text).digest("base64");
    return f;
  };
  // The user's files: parsed again only when their text changed (content, not mtime: two saves within one mtime tick
  // must not be confused).
  const read = host.getSourceFile.bind(host);
  const seen = new Set<string>();
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const abs = resolve(fileName);
    if (abs.startsWith(dslDir) || abs.includes(`${sep}node_modules${sep}`)) return versioned(read(fileName, languageVersion, onError, shouldCreate));
    const text = host.readFile(fileName);
    if (text === undefined) return versioned(read(fileName, languageVersion, onError, shouldCreate));
    seen.add(abs);
    const hit = state.userFiles.get(abs);
    if (hit && hit.text === text) return hit.file;
    const file = versioned(ts.createSourceFile(fileName, text, languageVersion))!;
    state.userFiles.set(abs, { text, file });
    return file;
  };
  const builder = ts.createSemanticDiagnosticsBuilderProgram([resolve(entry)], options, host, state.builder);
  state.builder = builder;
  for (const f of [...state.userFiles.keys()]) if (!seen.has(f)) state.userFiles.delete(f);
  const program = builder.getProgram();
  const isOwn = (sf: TS.SourceFile) =>
    !program.isSourceFileDefaultLibrary(sf) &&
    !program.isSourceFileFromExternalLibrary(sf) &&
    !resolve(sf.fileName).startsWith(dslDir) &&
    !(sf.isDeclarationFile && sf.fileName.includes(`${sep}node_modules${sep}`));
  const own = program.getSourceFiles().filter(isOwn);
  // Let the builder work out which files the changes affect (an importer of a module whose declarations changed)
  // before asking per file: asked per file first, it would answer from its cache.
  let checked = 0;
  while (builder.getSemanticDiagnosticsOfNextAffectedFile(undefined, (sf) => !isOwn(sf))) {
    // each affected file of the user's is checked here; the DSL's and the libraries' are skipped
    checked++;
  }
  const found: TS.Diagnostic[] = [...builder.getOptionsDiagnostics(), ...builder.getGlobalDiagnostics()];
  for (const sf of own) found.push(...builder.getSyntacticDiagnostics(sf), ...builder.getSemanticDiagnostics(sf));
  if (raw) Object.assign(raw, { program, found });
  return {
    diagnostics: found.filter((d) => d.category === ts.DiagnosticCategory.Error).map(toDiagnostic),
    files: own.map((sf) => resolve(sf.fileName)).sort(),
    checked,
  };
}
