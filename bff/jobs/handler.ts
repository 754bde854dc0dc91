import type { Database, Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";

/**
 * What a job handler is (ADR 0028): a database-only job runs inside its claim transaction; a
 * calling job prepares in the database, calls out with no transaction open, and records.
 */
export interface JobContext {
  /** A transaction: database effects commit together with the job's new state. */
  db: Tx;
  job: Job;
  payload: any;
  now: Date;
}

interface FailureHooks {
  /**
   * Backoff after the n-th failed attempt (1-based). Default: 10 s doubling. Whatever the
   * handler says, the wait is capped at 15 min and jittered (retry.ts, ADR 0028).
   */
  backoffMs?(attempt: number): number;
  /**
   * How long after it was queued the job keeps retrying whatever its max_attempts (ADR 0028).
   * Default: 24 h for a job that calls out (an outage must lose nothing), none for a
   * database-only job.
   */
  retryWindowMs?: number;
  /**
   * Runs after a failed, deferred or given-up run, in the transaction that records the job's
   * new state (after the run's own writes were rolled back): lets a handler record why (or
   * wipe a secret from a job that gave up). Its writes commit with the job's new state.
   */
  onFailure?(ctx: JobContext, failure: { error: unknown; outcome: "retry" | "dead" | "deferred" }): Promise<void>;
}

/**
 * A job that only touches the database (scheduled changes, decisions, housekeeping): it runs
 * inside its claim transaction, so its effects and `state = 'done'` commit together.
 */
export interface DatabaseJobHandler extends FailureHooks {
  callsOut?: false;
  run(ctx: JobContext): Promise<unknown>;
}

/** What a calling job's prepare decided: make the call with this input, or finish now. */
export type Prepared<I> = { call: I } | Finished;
/** prepare's "nothing to call": the job is done with this result. */
export interface Finished {
  done: unknown;
}
export const finished = (result: unknown): Finished => ({ done: result });

/** What the network call gets: no transaction, only the plain pool (an embedded adapter's own write). */
export interface CallContext {
  db: Database;
  job: Job;
  payload: any;
  now: Date;
}

/**
 * A job that calls another system (mail, SMS, push, AD). No transaction is open while it
 * calls: a slow push service must not hold a database session (on the embedded database
 * there is only one). Three phases:
 * - `prepare` in the claim transaction: reads what the call needs, or finishes the job
 *   (`{ done }`) when there is nothing to send. The claim commits as a lease.
 * - `call` with no transaction: the network call. Idempotent: a lease that ran out (a crashed
 *   or stalled worker) lets another worker call again (at least once).
 * - `record` in a second short transaction, only while the lease is still this worker's:
 *   the call's outcome commits with `state = 'done'`. Its return value is the job's result.
 */
export interface CallingJobHandler<I = any, O = any> extends FailureHooks {
  callsOut: true;
  /** How long a claim holds the job before another worker may take it; renewed while the call runs. */
  leaseMs?: number;
  prepare(ctx: JobContext): Promise<Prepared<I>>;
  call(input: I, ctx: CallContext): Promise<O>;
  record?(ctx: JobContext, output: O, input: I): Promise<unknown>;
}

export type JobHandler = DatabaseJobHandler | CallingJobHandler;

/** Types a calling handler's phases against each other (`Record<string, JobHandler>` would lose them). */
export const callingJob = <I, O>(h: CallingJobHandler<I, O>): CallingJobHandler<I, O> => h;

/** A lease long enough for any call's own timeouts; renewed every third of it while the call runs. */
export const DEFAULT_LEASE_MS = 5 * 60_000;

/**
 * Thrown by a handler that cannot run yet for a reason that is not the job's fault (e.g.
 * the external system is not configured): the job is re-scheduled after `delayMs` without
 * counting an attempt, so it never goes dead for that reason.
 */
export class DeferJob extends Error {
  override readonly name = "DeferJob";
  constructor(
    readonly delayMs: number,
    reason: string,
  ) {
    super(reason);
  }
}

/** Thrown by a handler when retrying cannot help: the job goes dead now, whatever its max_attempts. */
export class GiveUpJob extends Error {
  override readonly name = "GiveUpJob";
}

export type JobHandlers = Record<string, JobHandler>;

/** Structured logging: one JSON line per call in production (bff/logger.ts, ADR 0029). */
export interface Logger {
  info(msg: string, extra?: Record<string, unknown>): void;
  warn(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

/**
 * A lease that ran out: the worker that claimed the job crashed or stalled. Counted against
 * max_attempts only, outside any retry window, so a job that keeps killing its worker ends.
 */
export class LeaseExpired extends Error {
  override readonly name = "LeaseExpired";
  constructor() {
    super("作業逾時：執行的程序未回報結果");
  }
}
