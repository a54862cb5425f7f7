/**
 * The one bounded worker pool of the library: file reads, age's asynchronous WebCrypto calls
 * and in-place renames of many files overlap, without starting everything at once.
 */

/**
 * Maps `items` through `fn` with at most `limit` running at once; results come back in input
 * order. After a failure no further item is started, every item already started settles, and
 * then the first error is thrown: a bulk write never leaves work running behind an error.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.err;
  return out;
}
