import { randomUUID } from "node:crypto";
import type { Database, Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";
import type { Clock } from "../ports/clock.js";
import { inTransaction } from "../../db/transaction.js";
import {
  type CallingJobHandler,
  DEFAULT_LEASE_MS,
  type JobContext,
  type JobHandlers,
  LeaseExpired,
  type Logger,
} from "./handler.js";
import type { Lane } from "./lanes.js";
import { errorText, guarded, recordDone, recordFailure } from "./outcome.js";

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

export type Claim =
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
export async function claimNext(
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

export async function callAndRecord(
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
