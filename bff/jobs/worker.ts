import { randomUUID } from "node:crypto";
import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";
import type { JobHandlers, Logger } from "./handler.js";
import { DEFAULT_LANE_CONCURRENCY, LANES, type Lane, type LaneConcurrency } from "./lanes.js";
import { errorText } from "./outcome.js";
import { callAndRecord, type Claim, claimNext, runOneJob } from "./run-one.js";

export * from "./handler.js";
export { defaultBackoffMs } from "./retry.js";
export { runOneJob } from "./run-one.js";

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
