// The build writer's thread (./write.ts): writes a build tree with synchronous calls (mkdir, open+write+close,
// link) while the main thread renders the next files. From the main thread each promise-based write took several
// event-loop round trips and left the disk idle between them, after all rendering was done (issue 12 item 5).
// Plain JavaScript evaluated in the thread (node: built-ins only), so it needs no bundle of its own.
//
// Messages: {op:"root", dir, spare} first; then "arena" (shared memory), "files" (batches), and "digests"/"done",
// each answered with {error, digests?}. Every file entry has its path relative to the root (rel) and its absolute
// path (file), and one of: content, arena bytes, refs (a DiscoveryResponse assembled from rendered resources), or
// from (an equal file of the previous build, linked, with the digest the previous index recorded for it; with ino and
// notAfter, checked once linked: a file that changed since the main thread vetted it is unlinked and reported as
// stale in the next "digests" answer, for the main thread to render).
//
// With spare: true the root is a claimed spare (./spare.ts), a complete earlier build, updated in place:
//   - a file whose digest (the spare's encoded.json) equals the new one, unchanged since the spare's manifest.json
//     was written (mtime), is kept as it is;
//   - any other file is written over (in place when no other tree shares its inode, else unlinked first: a link made
//     by an earlier build must not change the tree it came from);
//   - at "done", files and folders of the spare that the new build does not have are removed.
export const WRITER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const digestOf = typeof crypto.hash === "function" ? (b) => crypto.hash("sha256", b, "base64") : (b) => crypto.createHash("sha256").update(b).digest("base64");
const made = new Set();
const OPEN = Buffer.from("[\\n    ");
const SEPARATOR = Buffer.from(",\\n    ");
const CLOSE = Buffer.from("\\n  ]");
const EMPTY = Buffer.from("[]");
const digests = [];
let failed = null;
let root = null;
// The claimed spare: what it holds (files by rel, folders by absolute path), its index's digests, its manifest's mtime.
let spare = null;
const produced = new Set();

function scanSpare(dir) {
  const s = { files: new Set(), dirs: [], digests: new Map(), mtime: -1n };
  try {
    s.mtime = fs.statSync(path.join(dir, "manifest.json"), { bigint: true }).mtimeNs;
    // Only the index's "files" (it comes first; the resources after it are not needed here).
    const text = fs.readFileSync(path.join(dir, "encoded.json"), "utf8");
    const end = text.indexOf(',"resources":');
    const files = JSON.parse(end > 0 ? text.slice(0, end) + "}" : text).files;
    for (const rel of Object.keys(files)) if (Array.isArray(files[rel]) && typeof files[rel][0] === "string") s.digests.set(rel, files[rel][0]);
  } catch {
    s.digests.clear(); // nothing vouched for: every file is written again
  }
  const walk = (abs, rel) => {
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const a = abs + "/" + e.name;
      const r = rel === "" ? e.name : rel + "/" + e.name;
      if (e.isDirectory()) {
        s.dirs.push(a);
        made.add(a);
        walk(a, r);
      } else s.files.add(r);
    }
  };
  walk(dir, "");
  return s;
}

function dirOf(file) {
  const dir = path.dirname(file);
  if (made.has(dir)) return;
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    if (spare === null) throw err;
    // A file of the spare where the new build needs a folder: remove it, then try again (a file this build wrote
    // there is a conflict within the build: the error stands).
    for (let d = dir; d.length > root.length; d = path.dirname(d)) {
      const st = fs.lstatSync(d, { throwIfNoEntry: false });
      if (st && !st.isDirectory()) {
        if (produced.has(d.slice(root.length + 1))) throw err;
        fs.unlinkSync(d);
      }
    }
    fs.mkdirSync(dir, { recursive: true });
  }
  for (let d = dir; !made.has(d) && d !== path.dirname(d); d = path.dirname(d)) made.add(d);
}

// Whether the spare's file at rel already holds the content whose digest is given (and can be trusted to).
function keep(f, digest, unshared) {
  if (spare === null || digest === undefined || !spare.files.has(f.rel) || spare.digests.get(f.rel) !== digest) return false;
  const st = fs.lstatSync(f.file, { bigint: true, throwIfNoEntry: false });
  const ok = st !== undefined && st.isFile() && st.size > 0n && st.mtimeNs <= spare.mtime && (!unshared || st.nlink === 1n);
  if (ok && f.ino !== undefined) kept.push({ rel: f.rel, file: f.file, ino: st.ino, notAfter: spare.mtime });
  return ok;
}

// Makes room for new content at f.file in the spare: a shared inode or a folder in the way is removed.
function clear(f, always) {
  if (spare === null || !spare.files.has(f.rel) && !made.has(f.file)) return;
  const st = fs.lstatSync(f.file, { throwIfNoEntry: false });
  if (st === undefined) return;
  if (st.isDirectory()) fs.rmSync(f.file, { recursive: true, force: true });
  else if (always || st.nlink > 1 || !st.isFile()) fs.unlinkSync(f.file);
}

function put(f, bytes) {
  dirOf(f.file);
  clear(f, false);
  try {
    fs.writeFileSync(f.file, bytes);
  } catch (err) {
    if (spare === null) throw err;
    // A spare's file that cannot be written in place (made read-only by hand): replaced instead.
    fs.rmSync(f.file, { force: true });
    fs.writeFileSync(f.file, bytes);
  }
}

function finishSpare() {
  for (const rel of spare.files) if (!produced.has(rel)) fs.rmSync(path.join(root, rel), { force: true });
  const needed = new Set();
  for (const rel of produced) for (let d = path.dirname(path.join(root, rel)); d.length > root.length && !needed.has(d); d = path.dirname(d)) needed.add(d);
  // Deepest first, so a folder's emptied subfolders are gone before it.
  for (const d of [...spare.dirs].sort((a, b) => b.length - a.length)) if (!needed.has(d)) fs.rmSync(d, { recursive: true, force: true });
}

// Whether a linked (copied) file is the one the main thread vetted: the same inode, still no newer than the manifest
// it was written with, not empty (a copy: the digest the previous build recorded for it).
function vetted(f, copied) {
  const st = fs.lstatSync(f.file, { bigint: true, throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.size === 0n) return false;
  if (copied) return f.digest !== undefined && digestOf(fs.readFileSync(f.file)) === f.digest;
  return st.ino === f.ino && st.mtimeNs <= f.notAfter;
}

const stale = [];
// Files taken from an earlier tree by a link, or kept in the spare: their inode may be shared with --out, so an edit
// of --out in place until the swap would change this tree too. Vetted again at every "digests" and at "done".
let kept = [];
function revet() {
  const changed = [];
  kept = kept.filter((k) => {
    const st = fs.lstatSync(k.file, { bigint: true, throwIfNoEntry: false });
    if (st !== undefined && st.isFile() && st.size > 0n && st.ino === k.ino && st.mtimeNs <= k.notAfter) return true;
    if (st !== undefined) fs.rmSync(k.file, { force: true });
    changed.push(k.rel);
    return false;
  });
  return changed;
}
const arenas = [];
parentPort.on("message", (m) => {
  if (m.op === "root") {
    root = m.dir;
    made.add(m.dir);
    if (m.spare) {
      try {
        spare = scanSpare(m.dir);
      } catch (err) {
        failed = err && err.message ? err.message : String(err);
      }
    }
  }
  else if (m.op === "arena") arenas[m.id] = m.sab;
  else if (m.op === "files") {
    if (failed !== null) return;
    try {
      for (const f of m.files) {
        produced.add(f.rel);
        if (f.from !== undefined) {
          if (keep(f, f.digest)) continue;
          dirOf(f.file);
          clear(f, true); // a link cannot replace a file
          let copied = false;
          try {
            fs.linkSync(f.from, f.file);
          } catch {
            try {
              fs.copyFileSync(f.from, f.file);
              copied = true;
            } catch {
              stale.push(f.rel); // gone since it was planned (another build swapped in): the main thread renders it
              continue;
            }
          }
          if (f.ino !== undefined && !vetted(f, copied)) {
            // The previous build's file changed after it was planned (replaced or rewritten in place): not this
            // build's. The link goes (writing into it would write through to that file); the main thread renders it.
            fs.unlinkSync(f.file);
            stale.push(f.rel);
          } else if (f.ino !== undefined && !copied) kept.push({ rel: f.rel, file: f.file, ino: f.ino, notAfter: f.notAfter });
        } else if (f.arena !== undefined) put(f, new Uint8Array(arenas[f.arena], f.offset, f.length));
        else if (f.refs !== undefined) {
          const parts = [Buffer.from(f.head)];
          if (f.refs.length === 0) parts.push(EMPTY);
          else {
            parts.push(OPEN);
            // Per resource: its number of segments, then (arena, offset, length) for each.
            for (let i = 0; i < f.refs.length; ) {
              if (i) parts.push(SEPARATOR);
              const n = f.refs[i++];
              for (let j = 0; j < n; j++, i += 3) parts.push(Buffer.from(arenas[f.refs[i]], f.refs[i + 1], f.refs[i + 2]));
            }
            parts.push(CLOSE);
          }
          parts.push(Buffer.from(f.tail));
          const bytes = Buffer.concat(parts);
          const digest = digestOf(bytes);
          // A spare's file that shares its inode (with --out, linked there by an earlier build) is not kept: an edit of
          // --out in place before the swap would change it; it is written fresh instead (put unlinks it first).
          if (!keep(f, digest, true)) put(f, bytes);
          digests.push(f.rel, digest);
        }
        else put(f, f.content);
      }
    } catch (err) {
      failed = err && err.message ? err.message : String(err);
    }
  } else if (m.op === "digests") {
    if (failed === null) {
      try {
        stale.push(...revet());
      } catch (err) {
        failed = err && err.message ? err.message : String(err);
      }
    }
    parentPort.postMessage({ error: failed, digests, stale: stale.splice(0) });
  }
  else if (m.op === "done") {
    if (failed === null) {
      // Too late to render them again: the build fails (--out stays as it was).
      try {
        const changed = [...stale, ...revet()];
        if (changed.length) failed = "files of the previous build changed while this one ran (" + changed.slice(0, 3).join(", ") + "): build again";
      } catch (err) {
        failed = err && err.message ? err.message : String(err);
      }
    }
    if (failed === null && spare !== null) {
      try {
        finishSpare();
      } catch (err) {
        failed = err && err.message ? err.message : String(err);
      }
    }
    parentPort.postMessage({ error: failed });
  }
});
`;
