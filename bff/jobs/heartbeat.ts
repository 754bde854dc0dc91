import os from "node:os";
import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";
import type { Logger, Worker } from "./worker.js";

/**
 * A running jobs worker's heartbeat, in PostgreSQL (table worker_heartbeats), so /readyz —
 * on the app server with WORKER=inline, or on `npm run worker`'s own listener — can tell a
 * worker that runs and reaches the database from one that stopped or lost it. One row per
 * worker; operators can also list the live workers from it.
 *
 * It beats from a timer beside the worker's loop (wired in by `withHeartbeat` when the
 * worker starts and stops), not from inside the loop: it says the worker is started in a
 * live process that can write to the database, not that no handler is stuck.
 */
export interface Heartbeat {
  readonly workerId: string;
  /** A beat older than this is stale: three beats missed. */
  readonly staleAfterMs: number;
  /** Whether the worker is started (beating) in this process. */
  readonly running: boolean;
  /** Writes one beat now; resolves false when the database refused it (logged once). */
  beat(): Promise<boolean>;
  start(): void;
  /** Stops beating and removes this worker's row, within a bound (the database may be away). */
  stop(): Promise<void>;
}

/** Rows of workers that died without a word (kill -9, lost host) are removed after this. */
const FORGET_AFTER_MS = 24 * 3600_000;
/** stop() waits at most this long for the database: a shutdown must not hang on it. */
const STOP_BOUND_MS = 2000;

export function createHeartbeat(opts: {
  db: Database;
  clock: Clock;
  logger: Logger;
  workerId: string;
  intervalMs: number;
}): Heartbeat {
  const { db, clock, logger, workerId, intervalMs } = opts;
  let timer: NodeJS.Timeout | undefined;
  let startedAt: Date | undefined;
  let inFlight: Promise<boolean> | undefined;
  let failing = false;

  async function write(): Promise<boolean> {
    const now = clock.now();
    try {
      await db
        .insertInto("worker_heartbeats")
        .values({
          worker_id: workerId,
          host: os.hostname(),
          pid: process.pid,
          started_at: startedAt ?? now,
          beat_at: now,
        })
        .onConflict((oc) => oc.column("worker_id").doUpdateSet({ beat_at: now }))
        .execute();
      if (failing) logger.info("worker heartbeat written again", { workerId });
      failing = false;
      return true;
    } catch (err) {
      // Logged on the change only: a database outage would otherwise log every beat.
      if (!failing) logger.error("worker heartbeat failed", { workerId, error: (err as Error).message });
      failing = true;
      return false;
    }
  }

  // One beat at a time: on a stalled database the next tick waits for the one in flight.
  const beat = () => (inFlight ??= write().finally(() => (inFlight = undefined)));

  return {
    workerId,
    staleAfterMs: 3 * intervalMs,
    get running() {
      return timer !== undefined;
    },
    beat,
    start() {
      if (timer) return;
      startedAt = clock.now();
      timer = setInterval(() => void beat(), intervalMs);
      // The worker keeps the process alive; the heartbeat alone never should.
      timer.unref();
      void beat();
      void db
        .deleteFrom("worker_heartbeats")
        .where("beat_at", "<", new Date(startedAt.getTime() - FORGET_AFTER_MS))
        .execute()
        .catch(() => undefined);
    },
    async stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      const done = (async () => {
        await inFlight;
        await db.deleteFrom("worker_heartbeats").where("worker_id", "=", workerId).execute();
      })().catch(() => undefined);
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (bound = setTimeout(r, STOP_BOUND_MS)))]);
      clearTimeout(bound);
    },
  };
}

/**
 * The worker with its heartbeat hooked to start and stop (the heartbeat stops first, so a
 * shutting-down process stops being ready before it finishes the job in hand). Everything
 * else is the worker's own, whatever shape its loop takes.
 */
export function withHeartbeat<W extends Pick<Worker, "id" | "start" | "stop">>(
  worker: W,
  makeHeartbeat: (workerId: string) => Heartbeat,
): W & { heartbeat: Heartbeat } {
  const heartbeat = makeHeartbeat(worker.id);
  const wrapped = Object.create(worker) as W & { heartbeat: Heartbeat };
  return Object.assign(wrapped, {
    heartbeat,
    start() {
      worker.start();
      heartbeat.start();
    },
    async stop() {
      await heartbeat.stop();
      await worker.stop();
    },
  });
}
