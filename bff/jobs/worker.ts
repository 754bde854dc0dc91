import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";
import type { Clock } from "../ports/clock.js";
import { inTransaction } from "../../db/transaction.js";
import { defaultBackoffMs, outOfTries, RETRY_WINDOW_MS, retryDelayMs } from "./retry.js";

export { defaultBackoffMs } from "./retry.js";
import { DEFAULT_LANE_CONCURRENCY, LANES, type Lane, type LaneConcurrency } from "./lanes.js";

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

/** The handler's retry window (see FailureHooks.retryWindowMs). */
const windowOf = (handler: JobHandler | undefined) =>
  handler?.retryWindowMs ?? (handler?.callsOut ? RETRY_WINDOW_MS : 0);

/** Error text kept on the job: bounded, and free of characters PostgreSQL refuses. */
function errorText(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.replace(/\u0000/g, "").slice(0, 2000);
}

/** Cleared whenever a job leaves 'running'. */
const NO_LEASE = { locked_by: null, locked_until: null } as const;

/** The unique index that lets one job per serial key run at a time (0080). */
const SERIAL_INDEX = "jobs_one_running_per_serial_key";

/**
 * The next job to run (in `lane`, or in any lane): first one whose lease ran out (its worker
 * crashed or stalled), then the oldest due pending job whose serial key has no job running.
 * Locked for this transaction.
 */
async function claimDue(trx: Tx, now: Date, lane: Lane | undefined): Promise<Job | undefined> {
  const expired = await trx
    .selectFrom("jobs")
    .selectAll()
    .where("state", "=", "running")
    .where("locked_until", "<=", now)
    .$if(lane !== undefined, (q) => q.where("lane", "=", lane!))
    .orderBy("locked_until")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (expired) return expired;
  return trx
    .selectFrom("jobs as j")
    .selectAll("j")
    .where("j.state", "=", "pending")
    .$if(lane !== undefined, (q) => q.where("j.lane", "=", lane!))
    .where("j.run_at", "<=", now)
    .where((eb) =>
      eb.or([
        eb("j.serial_key", "is", null),
        eb.not(
          eb.exists(
            eb
              .selectFrom("jobs as r")
              .select("r.id")
              .whereRef("r.serial_key", "=", "j.serial_key")
              .where("r.state", "=", "running"),
          ),
        ),
      ]),
    )
    .orderBy("j.run_at")
    .orderBy("j.id")
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
}

/**
 * Records a failed, deferred or given-up attempt (`attempts` counts this one) and runs the
 * handler's onFailure in the same transaction.
 */
async function recordFailure(
  trx: Tx,
  job: Job,
  handler: JobHandler | undefined,
  err: unknown,
  attempts: number,
  now: Date,
  logger: Logger,
): Promise<void> {
  const ctx = { db: trx, job, payload: job.payload, now };
  if (err instanceof DeferJob) {
    await trx
      .updateTable("jobs")
      .set({
        state: "pending",
        ...NO_LEASE,
        attempts: attempts - 1, // not the job's fault: not an attempt
        updated_at: now,
        run_at: new Date(now.getTime() + err.delayMs),
        last_error: errorText(err),
      })
      .where("id", "=", job.id)
      .execute();
    await handler?.onFailure?.(ctx, { error: err, outcome: "deferred" });
    return;
  }
  const dead =
    err instanceof GiveUpJob || outOfTries(job, attempts, now, err instanceof LeaseExpired ? 0 : windowOf(handler));
  const backoff = retryDelayMs(job.id, attempts, handler?.backoffMs ?? defaultBackoffMs);
  await trx
    .updateTable("jobs")
    .set({
      state: dead ? "dead" : "pending",
      ...NO_LEASE,
      attempts,
      updated_at: now,
      finished_at: dead ? now : null,
      run_at: dead ? job.run_at : new Date(now.getTime() + backoff),
      last_error: errorText(err),
    })
    .where("id", "=", job.id)
    .execute();
  await handler?.onFailure?.(ctx, { error: err, outcome: dead ? "dead" : "retry" });
  logger.error(dead ? "job dead" : "job failed, will retry", {
    id: job.id,
    kind: job.kind,
    attempts,
    error: errorText(err),
  });
}

/**
 * `finishedAt`: read from the clock when the job ended, not when it was claimed (issue 15
 * item 2). `startedAt`: the claim, for a job that ends in its claim transaction (a calling
 * job's lease recorded it already).
 */
async function recordDone(
  trx: Tx,
  jobId: number,
  attempts: number,
  result: unknown,
  finishedAt: Date,
  startedAt?: Date,
): Promise<void> {
  await trx
    .updateTable("jobs")
    .set({
      state: "done",
      ...NO_LEASE,
      ...(startedAt ? { started_at: startedAt } : {}),
      attempts,
      updated_at: finishedAt,
      finished_at: finishedAt,
      last_error: null,
      result: result === undefined ? null : JSON.stringify(result),
    })
    .where("id", "=", jobId)
    .execute();
}

/** Runs `body` behind a savepoint: its writes roll back when it throws, the transaction lives on. */
async function guarded<T>(
  trx: Tx,
  body: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await sql`SAVEPOINT job_run`.execute(trx);
  try {
    const value = await body();
    await sql`RELEASE SAVEPOINT job_run`.execute(trx);
    return { ok: true, value };
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT job_run`.execute(trx);
    return { ok: false, error };
  }
}

type Claim =
  | { kind: "none" }
  | { kind: "finished" }
  | { kind: "call"; job: Job; handler: CallingJobHandler; input: unknown; leaseMs: number };

/**
 * Claims and runs one due job. Returns false when nothing was due.
 *
 * A database-only job runs in its claim transaction (`FOR UPDATE SKIP LOCKED`): several
 * workers never run the same job and its effects happen once; a failure rolls back to a
 * savepoint, keeping the claim, and records the attempt.
 *
 * A calling job is claimed with a lease (`state = 'running'`, locked_by, locked_until)
 * in a short transaction that commits; the call is made with no transaction open; a second
 * short transaction records the result only if the lease is still this worker's. A lease
 * that runs out (the worker crashed) makes the job claimable again. The attempt is counted
 * at the claim, so a job that keeps killing its worker still goes dead.
 */
export async function runOneJob(
  db: Database,
  handlers: JobHandlers,
  clock: Clock,
  logger: Logger,
  workerId: string = `run-${randomUUID()}`,
  lane?: Lane,
): Promise<boolean> {
  const claim = await claimNext(db, handlers, clock, logger, workerId, lane);
  if (claim.kind === "none") return false;
  if (claim.kind === "finished") return true;
  await callAndRecord(db, claim, clock, logger, workerId);
  return true;
}

/**
 * The claim phase: a database-only job runs (and ends) here; a calling job comes back
 * leased, for callAndRecord.
 */
async function claimNext(
  db: Database,
  handlers: JobHandlers,
  clock: Clock,
  logger: Logger,
  workerId: string,
  lane: Lane | undefined,
): Promise<Claim> {
  try {
    return await inTransaction(db, (trx) => claimAndStart(trx, handlers, clock, logger, workerId, lane));
  } catch (err) {
    // Another worker started a job with the same serial key between our look and our claim:
    // nothing ran, but other work may be due, so the caller looks again.
    if ((err as { constraint?: string }).constraint === SERIAL_INDEX) return { kind: "finished" };
    throw err;
  }
}

async function claimAndStart(
  trx: Tx,
  handlers: JobHandlers,
  clock: Clock,
  logger: Logger,
  workerId: string,
  lane: Lane | undefined,
): Promise<Claim> {
  const now = clock.now();
  const job = await claimDue(trx, now, lane);
  if (!job) return { kind: "none" };
  const handler = handlers[job.kind];
  if (job.state === "running") {
    // Its worker claimed it (counting that attempt) and never reported back.
    logger.error("job lease ran out; another worker takes it", { id: job.id, kind: job.kind, lockedBy: job.locked_by });
    if (job.max_attempts !== null && job.attempts >= job.max_attempts) {
      await recordFailure(trx, job, handler, new LeaseExpired(), job.attempts, now, logger);
      return { kind: "finished" };
    }
  }
  const attempts = job.attempts + 1;
  const ctx: JobContext = { db: trx, job, payload: job.payload, now };

  if (!handler || !handler.callsOut) {
    const ran = await guarded(trx, async () => {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      return handler.run(ctx);
    });
    if (ran.ok) await recordDone(trx, job.id, attempts, ran.value, clock.now(), now);
    else await recordFailure(trx, job, handler, ran.error, attempts, now, logger);
    return { kind: "finished" };
  }

  const prepared = await guarded(trx, () => handler.prepare(ctx));
  if (!prepared.ok) {
    await recordFailure(trx, job, handler, prepared.error, attempts, now, logger);
    return { kind: "finished" };
  }
  if (!("call" in prepared.value)) {
    await recordDone(trx, job.id, attempts, prepared.value.done, clock.now(), now);
    return { kind: "finished" };
  }
  const leaseMs = handler.leaseMs ?? DEFAULT_LEASE_MS;
  const leased = await trx
    .updateTable("jobs")
    .set({
      state: "running",
      attempts,
      locked_by: workerId,
      locked_until: new Date(now.getTime() + leaseMs),
      updated_at: now,
      started_at: now,
    })
    .where("id", "=", job.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { kind: "call", job: leased, handler, input: prepared.value.call, leaseMs };
}

async function callAndRecord(
  db: Database,
  claim: Extract<Claim, { kind: "call" }>,
  clock: Clock,
  logger: Logger,
  workerId: string,
): Promise<void> {
  const { job, handler, input, leaseMs } = claim;
  // A call longer than the lease keeps it: one short statement every third of the lease.
  const renew = setInterval(() => {
    void db
      .updateTable("jobs")
      .set({ locked_until: new Date(clock.now().getTime() + leaseMs) })
      .where("id", "=", job.id)
      .where("state", "=", "running")
      .where("locked_by", "=", workerId)
      .execute()
      .catch((err) => logger.error("job lease renewal failed", { id: job.id, error: errorText(err) }));
  }, leaseMs / 3);
  renew.unref();
  let outcome: { ok: true; output: unknown } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, output: await handler.call(input, { db, job, payload: job.payload, now: clock.now() }) };
  } catch (error) {
    outcome = { ok: false, error };
  } finally {
    clearInterval(renew);
  }

  await inTransaction(db, async (trx) => {
    const now = clock.now();
    const mine = await trx
      .selectFrom("jobs")
      .selectAll()
      .where("id", "=", job.id)
      .where("state", "=", "running")
      .where("locked_by", "=", workerId)
      .forUpdate()
      .executeTakeFirst();
    if (!mine) {
      // The lease ran out and another worker took the job (or an admin ended it): its
      // holder records the outcome, not us.
      logger.error("job lease lost before its result was recorded", { id: job.id, kind: job.kind });
      return;
    }
    const ctx: JobContext = { db: trx, job: mine, payload: mine.payload, now };
    if (!outcome.ok) {
      await recordFailure(trx, mine, handler, outcome.error, mine.attempts, now, logger);
      return;
    }
    const output = outcome.output;
    const recorded = await guarded(trx, async () => (handler.record ? handler.record(ctx, output, input) : output));
    if (recorded.ok) await recordDone(trx, mine.id, mine.attempts, recorded.value, now);
    else await recordFailure(trx, mine, handler, recorded.error, mine.attempts, now, logger);
  });
}

export interface Worker {
  start(): void;
  /** Stops taking jobs and waits for the ones in hand (every lane's). */
  stop(): Promise<void>;
  /** Wakes a lane's loop now (every lane's without one), after a commit that enqueued work in this process. */
  nudge(lane?: string): void;
  /** Runs every due job of every lane, one at a time, then returns: for tests and `npm run worker --once`. */
  drain(): Promise<number>;
  readonly id: string;
}

/** Subscribes to job notifications (the lane that got work, if said); returns its unsubscribe. */
export type JobListener = (onNotify: (lane?: string) => void) => Promise<() => Promise<void>>;

/**
 * Sleeps until woken or `pollMs` passes; every sleeper wakes on a signal. A wake that arrives
 * while nobody sleeps (the loop is busy, or between an empty claim and the sleep) must not be
 * lost until the next poll: it is remembered and the next sleep is skipped.
 */
function wakeable(pollMs: number) {
  const sleepers = new Set<() => void>();
  let missed = false;
  return {
    signal() {
      if (sleepers.size === 0) missed = true;
      for (const wake of [...sleepers]) wake();
    },
    sleep(): Promise<void> {
      if (missed) {
        missed = false;
        return Promise.resolve();
      }
      let timer: NodeJS.Timeout | undefined;
      let wake: () => void = () => undefined;
      return new Promise<void>((resolve) => {
        wake = resolve;
        sleepers.add(wake);
        timer = setTimeout(resolve, pollMs);
      }).finally(() => {
        clearTimeout(timer);
        sleepers.delete(wake);
      });
    },
  };
}

interface LaneLoopDeps {
  db: Database;
  handlers: JobHandlers;
  clock: Clock;
  logger: Logger;
  workerId: string;
  isRunning(): boolean;
}

/**
 * Claims run side by side in a lane, at most this many: a claim is a few round trips to the
 * database, and one claimer at a time capped a lane at about one job per claim time however
 * many slots it had.
 */
const MAX_CLAIMERS = 2;

/**
 * One lane (issue 15 item 1, ADR 0027): up to MAX_CLAIMERS claimers take jobs of this lane
 * only. A calling job's call (and its record) runs beside them, up to `slots` calls and claims
 * at once, so the next claim does not wait for a slow SMTP or push service. A database-only
 * job runs inside its claim transaction, holding a pool connection for its whole run (the
 * app's requests share that pool), so a lane runs at most min(slots, MAX_CLAIMERS) of those.
 * On stop nothing more is claimed, and the lane resolves once every call in hand has been
 * recorded.
 */
async function laneLoop(deps: LaneLoopDeps, lane: Lane, slots: number, waker: ReturnType<typeof wakeable>) {
  const inFlight = new Set<Promise<void>>();
  let claiming = 0;

  async function claimer() {
    while (deps.isRunning()) {
      if (inFlight.size + claiming >= slots) {
        // Claimers never outnumber slots, so a full lane has a call in flight to wait for.
        await (inFlight.size > 0 ? Promise.race(inFlight) : waker.sleep());
        continue;
      }
      claiming++;
      let claim: Claim;
      try {
        claim = await claimNext(deps.db, deps.handlers, deps.clock, deps.logger, deps.workerId, lane);
      } catch (err) {
        // The database is away (restart, network): wait a poll and try again.
        deps.logger.error("worker loop error", { lane, error: errorText(err) });
        if (deps.isRunning()) await waker.sleep();
        continue;
      } finally {
        claiming--;
      }
      if (claim.kind === "none") {
        if (deps.isRunning()) await waker.sleep();
        continue;
      }
      if (claim.kind === "finished") continue;
      const { job } = claim;
      const call: Promise<void> = callAndRecord(deps.db, claim, deps.clock, deps.logger, deps.workerId)
        .catch((err) => {
          // The record transaction failed (database away): the lease runs out and the job is
          // taken again; a push re-run skips the devices already reached.
          deps.logger.error("job result could not be recorded", { id: job.id, lane, error: errorText(err) });
        })
        .finally(() => inFlight.delete(call));
      inFlight.add(call);
    }
  }

  await Promise.all(Array.from({ length: Math.min(slots, MAX_CLAIMERS) }, claimer));
  await Promise.all(inFlight);
}

export function createWorker(opts: {
  db: Database;
  handlers: JobHandlers;
  clock: Clock;
  logger: Logger;
  pollMs: number;
  /** Slots per lane (bff/jobs/lanes.ts); a lane left out gets its default, 0 = not served here. */
  concurrency?: Partial<LaneConcurrency>;
  /** On real PostgreSQL, LISTEN wakes the worker the moment a job is committed. */
  listen?: JobListener;
}): Worker {
  const id = randomUUID();
  const slots: LaneConcurrency = { ...DEFAULT_LANE_CONCURRENCY, ...opts.concurrency };
  const served = LANES.filter((lane) => slots[lane] > 0);
  const wakers = new Map(served.map((lane) => [lane, wakeable(opts.pollMs)] as const));
  let running = false;
  let loops: Promise<void>[] = [];
  let unlisten: (() => Promise<void>) | undefined;

  const nudge = (lane?: string) => {
    const one = lane === undefined ? undefined : wakers.get(lane as Lane);
    if (one) one.signal();
    // No lane, or one this release does not know (a newer release's): wake every loop.
    else if (lane === undefined || !(LANES as readonly string[]).includes(lane))
      for (const w of wakers.values()) w.signal();
  };
  const deps: LaneLoopDeps = { ...opts, workerId: id, isRunning: () => running };

  async function drain(): Promise<number> {
    let n = 0;
    while (await runOneJob(opts.db, opts.handlers, opts.clock, opts.logger, id)) n++;
    return n;
  }

  return {
    id,
    start() {
      if (running) return;
      running = true;
      loops = served.map((lane) => laneLoop(deps, lane, slots[lane], wakers.get(lane)!));
      opts
        .listen?.(nudge)
        .then((u) => {
          unlisten = u;
        })
        .catch((err) => opts.logger.error("job LISTEN failed; polling only", { error: errorText(err) }));
    },
    async stop() {
      running = false;
      for (const w of wakers.values()) w.signal();
      await Promise.all(loops);
      await unlisten?.().catch(() => undefined);
    },
    nudge,
    drain,
  };
}
