import { sql } from "kysely";
import type { Database } from "../../db/index.js";

/**
 * A stand-in for bff/jobs/stats.ts `jobStats` (issue 15 item 3, written in parallel): the
 * same signature and the fields the metrics read, so the collector switches by its import
 * alone. Pending jobs (and the oldest due one's wait) and dead jobs by kind; no lanes here
 * (the `lane` column comes with item 1), so `lane` is left out.
 */
export interface JobGroupStats {
  kind: string;
  lane?: string;
  queued: number;
  oldestDueAgeSeconds: number;
  dead: number;
}

export async function jobStats(db: Database, now: Date): Promise<{ groups: JobGroupStats[] }> {
  const { rows } = await sql<{ kind: string; queued: number; oldest_due: Date | null; dead: number }>`
    SELECT kind,
      count(*) FILTER (WHERE state = 'pending')::int AS queued,
      min(run_at) FILTER (WHERE state = 'pending' AND run_at <= ${now}) AS oldest_due,
      count(*) FILTER (WHERE state = 'dead')::int AS dead
    FROM jobs WHERE state IN ('pending', 'dead')
    GROUP BY kind ORDER BY kind`.execute(db);
  return {
    groups: rows.map((r) => ({
      kind: r.kind,
      queued: r.queued,
      oldestDueAgeSeconds: r.oldest_due ? Math.max(0, Math.floor((now.getTime() - r.oldest_due.getTime()) / 1000)) : 0,
      dead: r.dead,
    })),
  };
}
