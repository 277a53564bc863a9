/**
 * Runs `fn(0..n-1)` with at most `limit` calls in flight, in index order. After the first failure
 * no worker starts another call (the ones in flight finish), and the promise rejects with it.
 */
export async function forEachBounded(
  n: number,
  limit: number,
  fn: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < n && !failed; i = next++) {
      try {
        await fn(i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}
