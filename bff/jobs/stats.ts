import { sql } from "kysely";
import type { Database } from "../../db/index.js";

/**
 * What waits in the jobs table, for /readyz, the 背景作業 page and the metrics (issue 15
 * items 3 and 4). One grouped query over the states that matter (pending, running, dead):
 * the partial indexes on pending jobs and (kind, state) keep it cheap however many finished
 * jobs the table holds.
 */
export interface JobGroupStats {
  kind: string;
  /** The lane it waits in (bff/jobs/lanes.ts). */
  lane: string;
  /** Pending jobs, due or not. */
  queued: number;
  /** Pending jobs whose run_at has come. */
  due: number;
  /** Seconds the oldest due job has waited past its run_at; 0 when none is due. */
  oldestDueAgeSeconds: number;
  running: number;
  dead: number;
}

export interface JobStats {
  groups: JobGroupStats[];
  /** Dead jobs by kind (what an operator must look at on 背景作業). */
  deadByKind: Record<string, number>;
  totals: { queued: number; due: number; running: number; dead: number; oldestDueAgeSeconds: number };
}

interface Row {
  kind: string;
  lane: string;
  queued: number;
  due: number;
  oldest_due: Date | null;
  running: number;
  dead: number;
}

/** Queued, due, oldest due age, running and dead jobs by kind and lane. */
export async function jobStats(db: Database, now: Date): Promise<JobStats> {
  const { rows } = await sql<Row>`
    SELECT kind, coalesce(lane, '') AS lane,
      count(*) FILTER (WHERE state = 'pending')::int AS queued,
      count(*) FILTER (WHERE state = 'pending' AND run_at <= ${now})::int AS due,
      min(run_at) FILTER (WHERE state = 'pending' AND run_at <= ${now}) AS oldest_due,
      count(*) FILTER (WHERE state = 'running')::int AS running,
      count(*) FILTER (WHERE state = 'dead')::int AS dead
    FROM jobs
    WHERE state IN ('pending', 'running', 'dead')
    GROUP BY 1, 2
    ORDER BY 1, 2`.execute(db);
  const age = (d: Date | null) => (d ? Math.max(0, Math.floor((now.getTime() - d.getTime()) / 1000)) : 0);
  const groups = rows.map((r): JobGroupStats => ({
    kind: r.kind,
    lane: r.lane,
    queued: r.queued,
    due: r.due,
    oldestDueAgeSeconds: age(r.oldest_due),
    running: r.running,
    dead: r.dead,
  }));
  const deadByKind: Record<string, number> = {};
  const totals = { queued: 0, due: 0, running: 0, dead: 0, oldestDueAgeSeconds: 0 };
  for (const g of groups) {
    if (g.dead > 0) deadByKind[g.kind] = (deadByKind[g.kind] ?? 0) + g.dead;
    totals.queued += g.queued;
    totals.due += g.due;
    totals.running += g.running;
    totals.dead += g.dead;
    totals.oldestDueAgeSeconds = Math.max(totals.oldestDueAgeSeconds, g.oldestDueAgeSeconds);
  }
  return { groups, deadByKind, totals };
}

/** Dead jobs by kind alone: what /readyz reports on every probe (one indexed count). */
export async function deadJobsByKind(db: Database): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("jobs")
    .select(["kind", (eb) => eb.fn.countAll<string>().as("n")])
    .where("state", "=", "dead")
    .groupBy("kind")
    .orderBy("kind")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}
