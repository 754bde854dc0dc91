import type { SelectQueryBuilder } from "kysely";

/**
 * A console list's page: the rows of `page` (ordered by the caller, so pages never overlap)
 * and the filter's total, counted on the same query without its order.
 */
export async function pageAndTotal<DB, TB extends keyof DB, O, R>(
  filtered: SelectQueryBuilder<DB, TB, O>,
  rows: (q: SelectQueryBuilder<DB, TB, O>) => SelectQueryBuilder<DB, TB, R>,
  page: number,
  pageSize: number,
): Promise<{ rows: R[]; total: number }> {
  const [list, count] = await Promise.all([
    rows(filtered)
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute(),
    filtered.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows: list, total: Number((count as { n: number | string }).n) };
}

/** The page sizes a console list offers (10 is the manual's; 20 and 50 by choice, `?size=`). */
export const PAGE_SIZES = [10, 20, 50] as const;

/** A list's page size from the URL: one of PAGE_SIZES, anything else the default 10. */
export function pageSizeOf(raw: unknown): number {
  const n = Number(typeof raw === "string" || typeof raw === "number" ? raw : NaN);
  return (PAGE_SIZES as readonly number[]).includes(n) ? n : PAGE_SIZES[0];
}
