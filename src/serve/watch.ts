// Debounced file watching for `meshc serve`: a burst of saves (editors write, rename and touch in quick
// succession; `meshc build` swaps whole directories) becomes one reload.
import chokidar, { type FSWatcher } from "chokidar";
import { basename, dirname, sep } from "node:path";

export interface Watcher {
  /** Replaces the watched set (a mesh's import graph changes as files are edited). */
  setFiles(files: readonly string[]): void;
  close(): Promise<void>;
}

export function watchFiles(files: readonly string[], onChange: (path: string) => void, debounceMs = 100): Watcher {
  let current = new Set(files);
  const fire = debounce(onChange, debounceMs);
  const w: FSWatcher = chokidar.watch([...current], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 30, pollInterval: 10 } });
  w.on("all", (_event, path) => fire(path));
  return {
    setFiles(next) {
      const nextSet = new Set(next);
      const added = [...nextSet].filter((f) => !current.has(f));
      const removed = [...current].filter((f) => !nextSet.has(f));
      if (added.length) w.add(added);
      if (removed.length) w.unwatch(removed);
      current = nextSet;
    },
    close: () => w.close(),
  };
}

/** Watches a build directory that `meshc build` replaces by rename: watch its parent, filtered to it. */
export function watchBuildDir(dir: string, onChange: (path: string) => void, debounceMs = 100): Watcher {
  const parent = dirname(dir);
  const tmpPrefix = `${parent}${sep}.${basename(dir)}.`;
  const relevant = (p: string) => p === parent || p === dir || p.startsWith(dir + sep) || p.startsWith(tmpPrefix);
  const fire = debounce(onChange, debounceMs);
  const w = chokidar.watch(parent, { ignoreInitial: true, depth: 2, ignored: (p: string) => !relevant(p) });
  w.on("all", (_event, path) => {
    if (path === dir || path.startsWith(dir + sep)) fire(path);
  });
  return { setFiles() {}, close: () => w.close() };
}

function debounce(f: (path: string) => void, ms: number): (path: string) => void {
  let timer: NodeJS.Timeout | undefined;
  return (path) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      f(path);
    }, ms);
  };
}
