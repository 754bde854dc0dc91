import type { Server } from "node:http";
import express, { type RequestHandler, type Response, Router } from "express";
import type { Database } from "../../db/index.js";
import { migrationState, type MigrationList } from "../../db/migrate.js";
import { migrations as releaseMigrations } from "../../db/migrations/index.js";
import type { Heartbeat } from "../jobs/heartbeat.js";
import { deadJobsByKind } from "../jobs/stats.js";
import type { Logger } from "../jobs/worker.js";
import type { Clock } from "../ports/clock.js";
import { listen } from "./listen.js";

/**
 * Health for load balancers and orchestrators (issue 13 item 4).
 *
 * - `GET /healthz`: the process is alive and its event loop answers. It touches nothing
 *   else, so a database outage never makes an orchestrator restart healthy app servers.
 * - `GET /readyz`: send this process traffic. The database answers within READY_TIMEOUT_MS,
 *   it has every migration this code needs and none recorded differently (a later
 *   release's migrations are fine: old servers stay ready through a rolling deploy, ADR 21),
 *   and, when a jobs worker runs in this process, its heartbeat is fresh.
 *
 * Both answer JSON with Cache-Control: no-store, 200 or 503. The body names checks and
 * migrations, never error text (it could carry host or user names); the log has the reason,
 * written when readiness changes rather than on every probe.
 *
 * `/readyz` also reports dead jobs by kind (`jobs.dead`, issue 15 item 3): a report, not a
 * check. A dead mail is an operator's task on 背景作業, not a reason to take a healthy
 * server out of the load balancer, so it never turns the answer into a 503.
 */
export interface ReadinessDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  /** The worker whose heartbeat must be fresh, when one runs in this process. */
  heartbeat?: Pick<Heartbeat, "workerId" | "staleAfterMs">;
  /** This code's migrations (tests pass a longer list). */
  migrations?: MigrationList;
  timeoutMs?: number;
}

/** A stalled database must give a 503 well within a load balancer's probe timeout (~2 s). */
export const READY_TIMEOUT_MS = 1500;
/** A probe still unanswered after this is abandoned and a new one started (see probe()). */
const ABANDON_AFTER_MS = 10_000;

type Check = { status: "ok" | "fail" | "unknown" } & Record<string, unknown>;

export interface Readiness {
  ready: boolean;
  body: {
    status: "ready" | "unavailable";
    checks: Record<string, Check>;
    /** Dead jobs by kind, e.g. { "mail.send": 3 } (never affects `ready`). */
    jobs?: { dead: Record<string, number> };
  };
}

interface ProbeResult {
  migrations: Awaited<ReturnType<typeof migrationState>>;
  beatAt: Date | null | undefined;
  dead: Record<string, number>;
}

export function createReadiness(deps: ReadinessDeps): () => Promise<Readiness> {
  const { db, clock, logger, heartbeat } = deps;
  const list = deps.migrations ?? releaseMigrations;
  const timeoutMs = deps.timeoutMs ?? READY_TIMEOUT_MS;

  // Probes share one database round trip in flight: a load balancer polling a stalled
  // database must not pile up a query per probe and drain the pool. One unanswered for
  // ABANDON_AFTER_MS is left behind, so a connection lost without an error cannot keep the
  // server unready after the database is back.
  let inFlight: { promise: Promise<ProbeResult>; since: number } | undefined;
  const probe = () => {
    if (!inFlight || Date.now() - inFlight.since > ABANDON_AFTER_MS) {
      const current = {
        since: Date.now(),
        promise: (async (): Promise<ProbeResult> => {
          const [migrations, beat] = await Promise.all([
            migrationState(db, list),
            heartbeat
              ? db
                  .selectFrom("worker_heartbeats")
                  .select("beat_at")
                  .where("worker_id", "=", heartbeat.workerId)
                  .executeTakeFirst()
              : undefined,
          ]);
          // After the checks, not beside them: a stalled database costs one connection, not two.
          // It reads kind and state only, so it works on any schema this code can meet.
          const dead = await deadJobsByKind(db);
          return { migrations, beatAt: heartbeat ? (beat?.beat_at ?? null) : undefined, dead };
        })().finally(() => {
          if (inFlight === current) inFlight = undefined;
        }),
      };
      inFlight = current;
    }
    return inFlight.promise;
  };

  let lastReady: boolean | undefined;
  const record = (r: Readiness, error?: unknown) => {
    if (r.ready !== lastReady) {
      const extra = { checks: r.body.checks, ...(error ? { error: (error as Error).message } : {}) };
      if (r.ready) logger.info("ready", extra);
      else logger.error("not ready", extra);
      lastReady = r.ready;
    }
    return r;
  };

  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), timeoutMs)));
    let result: ProbeResult | "timeout";
    try {
      result = await Promise.race([probe(), timeout]);
    } catch (err) {
      return record(unavailable({ status: "fail", reason: "unreachable" }, !!heartbeat), err);
    } finally {
      clearTimeout(timer);
    }
    if (result === "timeout") return record(unavailable({ status: "fail", reason: "timeout" }, !!heartbeat));

    const checks: Record<string, Check> = { database: { status: "ok" } };
    const { missing, mismatched, newer } = result.migrations;
    checks.migrations =
      missing.length || mismatched.length
        ? { status: "fail", missing, mismatched: mismatched.map((m) => m.name) }
        : { status: "ok", ...(newer.length ? { newer } : {}) };
    if (heartbeat) {
      const beatAt = result.beatAt ?? null;
      const ageMs = beatAt ? clock.now().getTime() - beatAt.getTime() : undefined;
      checks.worker =
        ageMs === undefined
          ? { status: "fail", reason: "no heartbeat" }
          : ageMs > heartbeat.staleAfterMs
            ? { status: "fail", reason: "stale", beatAt: beatAt!.toISOString() }
            : { status: "ok", beatAt: beatAt!.toISOString() };
    }
    const ready = Object.values(checks).every((c) => c.status === "ok");
    return record({ ready, body: { status: ready ? "ready" : "unavailable", checks, jobs: { dead: result.dead } } });
  };
}

function unavailable(database: Check, withWorker: boolean): Readiness {
  const checks: Record<string, Check> = { database, migrations: { status: "unknown" } };
  if (withWorker) checks.worker = { status: "unknown" };
  return { ready: false, body: { status: "unavailable", checks } };
}

const noStore = (res: Response) => res.set("Cache-Control", "no-store");

/** /healthz and /readyz, mounted first in the app so no other middleware runs before them. */
export function healthRouter(readiness: () => Promise<Readiness>, isDraining: () => boolean = () => false): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    noStore(res).json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
    // At SIGTERM the server still answers what it received, but a load balancer should send
    // nothing new: not ready, whatever the database says (ADR 0022).
    if (isDraining()) {
      noStore(res).status(503).json({ status: "draining" });
      return;
    }
    const r = await readiness();
    noStore(res)
      .status(r.ready ? 200 : 503)
      .json(r.body);
  });
  return router;
}

/**
 * The app server's routes: the worker check applies when the jobs worker runs in this
 * process (WORKER=inline).
 */
export function healthRoutes(
  container: {
    db: Database;
    clock: Clock;
    logger: Logger;
    config: { WORKER: "inline" | "off" };
    worker: { heartbeat: Heartbeat };
  },
  isDraining?: () => boolean,
): Router {
  const { db, clock, logger, config, worker } = container;
  return healthRouter(
    createReadiness({ db, clock, logger, heartbeat: config.WORKER === "inline" ? worker.heartbeat : undefined }),
    isDraining,
  );
}

/**
 * `npm run worker`'s own readiness: the same two endpoints on WORKER_HEALTH_PORT, the
 * heartbeat always checked. An HTTP listener rather than a check command because every
 * orchestrator and load balancer probes HTTP, and only the running process knows which
 * worker id is its own.
 */
export async function startWorkerHealthServer(opts: {
  port: number;
  host: string;
  db: Database;
  clock: Clock;
  logger: Logger;
  heartbeat: Heartbeat;
  /** More routes on this port (the token-guarded /metrics, ADR 0029). */
  extra?: RequestHandler;
}): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  app.use(healthRouter(createReadiness(opts)));
  if (opts.extra) app.use(opts.extra);
  app.use((_req, res) => {
    noStore(res).status(404).json({ status: "not found" });
  });
  return listen(app, opts.port, opts.host);
}
