/**
 * Runs an async step for each entry with at most `limit` in flight. The first failure aborts
 * the others through their AbortSignal (ffmpeg processes are killed), waits for every started
 * step to settle, and is then thrown: nothing is left running behind the caller's back.
 */
export async function forEachConcurrently<T>(
  entries: readonly T[],
  limit: number,
  step: (entry: T, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  let next = 0;
  let firstError: { error: unknown } | null = null;

  const lane = async () => {
    while (next < entries.length && firstError === null) {
      const entry = entries[next++] as T;
      try {
        await step(entry, controller.signal);
      } catch (error) {
        if (firstError === null) {
          firstError = { error };
          controller.abort();
        }
      }
    }
  };

  const lanes = Math.max(1, Math.min(limit, entries.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  if (firstError !== null) throw (firstError as { error: unknown }).error;
}
