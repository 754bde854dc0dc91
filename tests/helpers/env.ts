/** With REQUIRE_ALL=1 (CI) a missing component fails the suite instead of skipping it. */
export const requireAll = process.env.REQUIRE_ALL === "1";
export const realPostgres = Boolean(process.env.DATABASE_URL);

/**
 * Why a suite cannot run here, or undefined when it can. Under REQUIRE_ALL it throws, so
 * CI never reports a skipped suite as a pass.
 */
export function skipReason(missing: string | undefined): string | undefined {
  if (missing === undefined) return undefined;
  if (requireAll) throw new Error(`REQUIRE_ALL=1 but ${missing}`);
  console.warn(`[skip] ${missing}`);
  return missing;
}

/**
 * For tests that need several database sessions at once (a real deadlock, LISTEN, separate
 * pools as separate app servers, terminating server connections). Concurrent requests through
 * one app run on the embedded database too (ADR 0001): there they queue for its one session.
 */
export const concurrencySkip = () =>
  skipReason(realPostgres ? undefined : "needs real PostgreSQL (DATABASE_URL): the embedded database is one session");
