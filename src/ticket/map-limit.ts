/**
 * Runs `fn` over `items` with at most `limit` at once, results in input order. When some
 * calls fail, every item is still worked (each is independent and idempotent), and the
 * first failure is thrown only once all have settled: a ticket job then makes all the
 * progress it can per attempt, and no call is left running after the job has failed.
 */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  const failures: unknown[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failures.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length) throw failures[0];
  return results;
}
