import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";
import type { Clock } from "../ports/clock.js";
import { inTransaction } from "../../db/transaction.js";

export interface JobContext {
  /** The job's transaction: database effects commit together with the job's new state. */
  db: Tx;
  job: Job;
  payload: any;
  now: Date;
}

export interface JobHandler {
  run(ctx: JobContext): Promise<unknown>;
  /** Backoff after the n-th failed attempt (1-based). Default: 10 s doubling, capped at 15 min. */
  backoffMs?(attempt: number): number;
  /**
   * Runs after a failed, deferred or given-up run, in the job's transaction but after the
   * run's own writes were rolled back: lets a handler record why (or wipe a secret from a
   * job that gave up). Its writes commit with the job's new state.
   */
  onFailure?(ctx: JobContext, failure: { error: unknown; outcome: "retry" | "dead" | "deferred" }): Promise<void>;
}

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

export interface Logger {
  info(msg: string, extra?: Record<string, unknown>): void;
  error(msg: string, extra?: Record<string, unknown>): void;
}

export function defaultBackoffMs(attempt: number): number {
  return Math.min(15 * 60_000, 10_000 * 2 ** (attempt - 1));
}

/** Error text kept on the job: bounded, and free of characters PostgreSQL refuses. */
function errorText(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.replace(/\u0000/g, "").slice(0, 2000);
}

/**
 * Claims and runs one due job. The claim (`FOR UPDATE SKIP LOCKED`), the handler's database
 * work and the job's new state share one transaction, so several workers never run the same
 * job and its database effects happen once. A failure rolls back to a savepoint, keeping the
 * claim, and records the attempt. Returns false when nothing was due.
 */
export async function runOneJob(db: Database, handlers: JobHandlers, clock: Clock, logger: Logger): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const now = clock.now();
    const job = await trx
      .selectFrom("jobs")
      .selectAll()
      .where("state", "=", "pending")
      .where("run_at", "<=", now)
      .orderBy("run_at")
      .orderBy("id")
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (!job) return false;

    const handler = handlers[job.kind];
    const attempts = job.attempts + 1;
    await sql`SAVEPOINT job_run`.execute(trx);
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      const result = await handler.run({ db: trx, job, payload: job.payload, now });
      await sql`RELEASE SAVEPOINT job_run`.execute(trx);
      await trx
        .updateTable("jobs")
        .set({
          state: "done",
          attempts,
          updated_at: now,
          finished_at: now,
          last_error: null,
          result: result === undefined ? null : JSON.stringify(result),
        })
        .where("id", "=", job.id)
        .execute();
    } catch (err) {
      await sql`ROLLBACK TO SAVEPOINT job_run`.execute(trx);
      if (err instanceof DeferJob) {
        await trx
          .updateTable("jobs")
          .set({ updated_at: now, run_at: new Date(now.getTime() + err.delayMs), last_error: errorText(err) })
          .where("id", "=", job.id)
          .execute();
        await handler?.onFailure?.({ db: trx, job, payload: job.payload, now }, { error: err, outcome: "deferred" });
        return true;
      }
      const dead = err instanceof GiveUpJob || (job.max_attempts !== null && attempts >= job.max_attempts);
      const backoff = (handler?.backoffMs ?? defaultBackoffMs)(attempts);
      await trx
        .updateTable("jobs")
        .set({
          state: dead ? "dead" : "pending",
          attempts,
          updated_at: now,
          finished_at: dead ? now : null,
          run_at: dead ? job.run_at : new Date(now.getTime() + backoff),
          last_error: errorText(err),
        })
        .where("id", "=", job.id)
        .execute();
      await handler?.onFailure?.(
        { db: trx, job, payload: job.payload, now },
        { error: err, outcome: dead ? "dead" : "retry" },
      );
      logger.error(dead ? "job dead" : "job failed, will retry", {
        id: job.id,
        kind: job.kind,
        attempts,
        error: errorText(err),
      });
    }
    return true;
  });
}

export interface Worker {
  start(): void;
  /** Stops taking jobs and waits for the one in hand. */
  stop(): Promise<void>;
  /** Wakes the loop now (after a commit that enqueued work in this process). */
  nudge(): void;
  /** Runs every due job, then returns: for tests and for `npm run worker --once`. */
  drain(): Promise<number>;
  readonly id: string;
}

/** Subscribes to job notifications; returns its unsubscribe. */
export type JobListener = (onNotify: () => void) => Promise<() => Promise<void>>;

export function createWorker(opts: {
  db: Database;
  handlers: JobHandlers;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  /** On real PostgreSQL, LISTEN wakes the worker the moment a job is committed. */
  listen?: JobListener;
}): Worker {
  const id = randomUUID();
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  // A notification that arrives while a job runs (or between an empty claim and the sleep)
  // must not be lost until the next poll: remember it and skip the next sleep.
  let missedWake = false;
  const signal = () => {
    if (wake) wake();
    else missedWake = true;
  };

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (missedWake) {
        missedWake = false;
        resolve();
        return;
      }
      wake = resolve;
      timer = setTimeout(resolve, opts.pollMs);
    }).finally(() => {
      clearTimeout(timer);
      wake = undefined;
    });

  async function drain(): Promise<number> {
    let n = 0;
    while (await runOneJob(opts.db, opts.handlers, opts.clock, opts.logger)) n++;
    return n;
  }

  async function run(): Promise<void> {
    while (running) {
      try {
        const ran = await runOneJob(opts.db, opts.handlers, opts.clock, opts.logger);
        if (!ran && running) await sleep();
      } catch (err) {
        // The database is away (restart, network): wait a poll and try again.
        opts.logger.error("worker loop error", { error: errorText(err) });
        if (running) await sleep();
      }
    }
  }

  let unlisten: (() => Promise<void>) | undefined;

  return {
    id,
    start() {
      if (running) return;
      running = true;
      loop = run();
      opts
        .listen?.(signal)
        .then((u) => {
          unlisten = u;
        })
        .catch((err) => opts.logger.error("job LISTEN failed; polling only", { error: errorText(err) }));
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await unlisten?.().catch(() => undefined);
    },
    nudge: signal,
    drain,
  };
}
