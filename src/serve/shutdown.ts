// Bounded waits for `meshc serve`'s close(): a load in progress is cancelled (its signal aborts every stage) and
// waited for at most the shutdown grace, so a stage that does not stop at once (esbuild finishing a bundle, a
// synchronous step of the compiler) cannot hold the process past the grace; it publishes nothing once closing is set.
export async function withinGrace(work: Promise<unknown> | undefined, graceMs: number): Promise<void> {
  if (!work) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
  clearTimeout(timer);
}
