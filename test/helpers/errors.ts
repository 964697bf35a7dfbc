/** Error predicates shared by the tests. */

/** An assert.throws/rejects predicate: the error's `code` is `c`. */
export const code =
  (c: string) =>
  (e: unknown): boolean =>
    (e as { code?: string }).code === c;
