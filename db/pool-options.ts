import pg from "pg";

/**
 * How long the portal waits on PostgreSQL before it gives up and says so (issue 13 item 2).
 * Without bounds a 10 s database stall made every request hang 11 s, and a pool whose
 * connections were all stuck queued requests for ever.
 */
export interface DatabaseTimeouts {
  /** Opening a connection, and waiting for a free one in the pool. */
  connectMs: number;
  /**
   * The longest statement (PostgreSQL's statement_timeout: the server cancels it, 57014).
   * The client gives up READ_MARGIN_MS later when the server does not answer at all (a
   * stalled network or server), and drops that connection. 0 = no bound.
   */
  statementMs: number;
  /** The longest pause inside an open transaction before PostgreSQL ends the session. 0 = no bound. */
  idleInTransactionMs: number;
}

/**
 * The slowest request statements measured (BENCHMARKS.md: account search without its trigram
 * index 0.35 s, a year's repair statistics 0.1 s) stay ten times under the statement bound,
 * while a stalled database is answered 503 in about four seconds. The connect bound is also
 * how long a request may queue for a free connection: 3 s leaves room for a burst of bookings
 * (C = 200 on a pool of 10) before a request is turned away with a 503.
 */
export const DEFAULT_TIMEOUTS: DatabaseTimeouts = { connectMs: 3000, statementMs: 3000, idleInTransactionMs: 30_000 };

/**
 * What a pool is for. Requests (and the worker) are bounded by the configured timeouts; the
 * named exemptions below run work whose statements may legitimately take minutes.
 * - migrate: a migration may rewrite or index a large table (npm run db:migrate, and the
 *   migration run at start, which gets a short-lived pool of its own).
 * - seed: bulk generators for benchmarks insert tens of thousands of rows per statement.
 * The LISTEN connection (bff/jobs/listen.ts) is a single client, not a pool: it is bounded
 * only on connect and on its own keep-alive ping, since it waits for notifications by design.
 * Streamed exports and the AD link import run on the request pool on purpose: every statement
 * they send is one keyset page (bff/exports/xlsx.ts keysetRows) or one row, so the statement
 * bound holds for each of them however long the whole export takes, and no transaction of
 * theirs stays idle while the browser reads.
 */
export type PoolPurpose = "requests" | "migrate" | "seed";

const EXEMPT: Record<PoolPurpose, boolean> = { requests: false, migrate: true, seed: true };

/** The timeouts a pool of this purpose gets: exempt purposes keep only the connect bound. */
export function timeoutsFor(purpose: PoolPurpose, configured: DatabaseTimeouts = DEFAULT_TIMEOUTS): DatabaseTimeouts {
  return EXEMPT[purpose] ? { connectMs: configured.connectMs, statementMs: 0, idleInTransactionMs: 0 } : configured;
}

/** The client's own bound is the server's plus this, so a live server answers 57014 first. */
export const READ_MARGIN_MS = 1000;

/**
 * pg's `query_timeout` rejects the query but keeps the connection, with the unanswered query
 * still at its head: every later query on it would wait behind it. A connection the server
 * did not answer is not worth keeping, so it is dropped; the pool opens a fresh one.
 */
export class GuardedClient extends pg.Client {
  override query(...args: any[]): any {
    const result = (super.query as (...a: any[]) => any)(...args);
    if (result && typeof result.then === "function") {
      (result as Promise<unknown>).catch((err: unknown) => {
        if (err instanceof Error && err.message === "Query read timeout") {
          (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
        }
      });
    }
    return result;
  }
}

/** pg Pool settings that carry the timeouts (statement bounds are session settings sent at connect). */
export function poolTimeoutOptions(t: DatabaseTimeouts): pg.PoolConfig {
  return {
    connectionTimeoutMillis: t.connectMs || undefined,
    statement_timeout: t.statementMs || undefined,
    query_timeout: t.statementMs ? t.statementMs + READ_MARGIN_MS : undefined,
    idle_in_transaction_session_timeout: t.idleInTransactionMs || undefined,
    // A peer that vanished without a FIN is noticed by the kernel instead of never.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    Client: GuardedClient,
  };
}
