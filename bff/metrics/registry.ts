import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { type Database, poolStats } from "../../db/index.js";
import { observeSignIns } from "../auth/login-records.js";
import type { RequestObserver } from "../http/request-log.js";
import type { Logger } from "../jobs/worker.js";
import type { Clock } from "../ports/clock.js";
import { jobStats } from "../jobs/stats.js";

/**
 * Issue 15 item 4 (ADR 0029): the Prometheus series of one process (app server or worker),
 * on a registry of its own (prom-client's global one would mix the containers a test builds).
 *
 * Per request only a histogram observation and per sign-in a counter increment: no database
 * work. What lives in the database (jobs, heartbeats) is read when Prometheus scrapes, in one
 * snapshot shared by the gauges of that scrape; the pool gauges read the pg Pool's counters.
 */
export interface PortalMetrics {
  registry: Registry;
  observeRequest: RequestObserver;
  /** Adds Node's process series (CPU, memory, event-loop lag, GC): for the real processes, not the test containers. */
  addProcessMetrics(): void;
  /** Stops counting sign-ins (the observer is module-wide). */
  close(): void;
}

/** Durations from 5 ms (a cached page) to 10 s (a request held by a stalled database). */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** A scrape must answer even when the database does not: its gauges then keep no values. */
const SCRAPE_DB_TIMEOUT_MS = 2000;

export function createMetrics(opts: { db: Database; clock: Clock; logger: Logger }): PortalMetrics {
  const registry = new Registry();

  const httpDuration = new Histogram({
    name: "portal_http_request_duration_seconds",
    help: "HTTP requests by route (Remix route id or a fixed name), method and status class",
    labelNames: ["route", "method", "status_class"] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const signIns = new Counter({
    name: "portal_sign_ins_total",
    help: "Sign-in attempts by method and result (as written to login_records)",
    labelNames: ["method", "result"] as const,
    registers: [registry],
  });
  const stopSignIns = observeSignIns((method, result) => signIns.inc({ method, result }));

  poolGauges(registry, opts.db);
  scrapeGauges(registry, opts);

  return {
    registry,
    observeRequest: ({ route, method, status, seconds }) =>
      httpDuration.observe(
        { route, method: knownMethod(method), status_class: `${Math.floor(status / 100)}xx` },
        seconds,
      ),
    addProcessMetrics: () => collectDefaultMetrics({ register: registry }),
    close: stopSignIns,
  };
}

/** Methods outside this list are one label value: a client cannot grow the series with made-up methods. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const knownMethod = (m: string) => (METHODS.has(m) ? m : "other");

function poolGauges(registry: Registry, db: Database) {
  new Gauge({
    name: "portal_db_pool_connections",
    help: "Database pool connections of this process, in use or idle",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const s = poolStats(db);
      if (!s) return;
      this.set({ state: "in_use" }, s.total - s.idle);
      this.set({ state: "idle" }, s.idle);
    },
  });
  new Gauge({
    name: "portal_db_pool_waiting",
    help: "Queries of this process waiting for a pool connection (the pool is exhausted while above 0)",
    registers: [registry],
    collect() {
      const s = poolStats(db);
      if (s) this.set(s.waiting);
    },
  });
  new Gauge({
    name: "portal_db_pool_max",
    help: "DATABASE_POOL_MAX of this process",
    registers: [registry],
    collect() {
      const s = poolStats(db);
      if (s) this.set(s.max);
    },
  });
}

interface Snapshot {
  jobs: Awaited<ReturnType<typeof jobStats>>["groups"];
  heartbeats: { worker_id: string; host: string; beat_at: Date }[];
  now: Date;
}

/** Job and heartbeat gauges, filled from one database snapshot per scrape. */
function scrapeGauges(registry: Registry, opts: { db: Database; clock: Clock; logger: Logger }) {
  const snapshot = sharedSnapshot(opts);
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: Snapshot) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        // Series of kinds or workers that went away must not linger with their last value.
        this.reset();
        if (s) fill(this, s);
      },
    });
  const lane = (g: { lane: string }) => g.lane;
  gauge("portal_jobs_queued", "Pending jobs (due or scheduled) by kind and lane", ["kind", "lane"], (g, s) => {
    for (const j of s.jobs) g.set({ kind: j.kind, lane: lane(j) }, j.queued);
  });
  gauge(
    "portal_jobs_oldest_due_age_seconds",
    "How long the oldest due pending job has waited past its run time, by kind and lane",
    ["kind", "lane"],
    (g, s) => {
      for (const j of s.jobs) g.set({ kind: j.kind, lane: lane(j) }, j.oldestDueAgeSeconds);
    },
  );
  gauge(
    "portal_jobs_dead",
    "Dead jobs (gave up; retry or discard on 背景作業) by kind and lane",
    ["kind", "lane"],
    (g, s) => {
      for (const j of s.jobs) g.set({ kind: j.kind, lane: lane(j) }, j.dead);
    },
  );
  gauge(
    "portal_worker_heartbeat_age_seconds",
    "Seconds since each registered jobs worker's last heartbeat",
    ["worker", "host"],
    (g, s) => {
      for (const h of s.heartbeats) g.set({ worker: h.worker_id, host: h.host }, ageSeconds(s.now, h.beat_at));
    },
  );
  gauge(
    "portal_worker_newest_heartbeat_age_seconds",
    "Seconds since the freshest heartbeat of any jobs worker (+Inf when none is registered): alert on this",
    [],
    (g, s) => {
      const ages = s.heartbeats.map((h) => ageSeconds(s.now, h.beat_at));
      g.set(ages.length ? Math.min(...ages) : Number.POSITIVE_INFINITY);
    },
  );
  new Gauge({
    name: "portal_metrics_database_up",
    help: "1 when this scrape could read jobs and heartbeats from the database, else 0 (those gauges are then empty)",
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
}

const ageSeconds = (now: Date, at: Date) => Math.max(0, (now.getTime() - at.getTime()) / 1000);

/**
 * One database read for all gauges of a scrape (prom-client collects them in parallel): a
 * read in flight is shared, the next scrape reads afresh. Undefined when the database failed
 * or was slower than SCRAPE_DB_TIMEOUT_MS (logged as a warning on the change).
 */
function sharedSnapshot(opts: { db: Database; clock: Clock; logger: Logger }) {
  let inFlight: Promise<Snapshot | undefined> | undefined;
  let failing = false;
  const read = async (): Promise<Snapshot> => {
    const now = opts.clock.now();
    const [jobs, heartbeats] = await Promise.all([
      jobStats(opts.db, now),
      opts.db.selectFrom("worker_heartbeats").select(["worker_id", "host", "beat_at"]).execute(),
    ]);
    return { jobs: jobs.groups, heartbeats, now };
  };
  return () => {
    if (inFlight) return inFlight;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("database read timed out")), SCRAPE_DB_TIMEOUT_MS);
    });
    const promise = Promise.race([read(), timeout]).then(
      (s) => {
        if (failing) opts.logger.info("metrics read the database again");
        failing = false;
        return s;
      },
      (err: unknown) => {
        if (!failing) opts.logger.warn("metrics could not read the database", { error: (err as Error).message });
        failing = true;
        return undefined;
      },
    );
    inFlight = promise.finally(() => {
      clearTimeout(timer);
      inFlight = undefined;
    });
    return inFlight;
  };
}
