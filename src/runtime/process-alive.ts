// Whether a process id names a running process (a lock's or a temp tree's holder): signal 0 checks without
// signalling; EPERM means it exists as another user's process.
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
