// A worker process for tests/integration/job-leases.test.ts to kill mid-call: it claims one
// "test.call" job from the database in argv[2], says "calling" on stdout and never returns.
import { Kysely, PostgresDialect, sql } from "kysely";
import { createPool } from "../../db/index.js";
import { callingJob, runOneJob } from "../../bff/jobs/worker.js";
import { systemClock } from "../../bff/ports/clock.js";

const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: createPool(process.argv[2]!, 2) }) });
const logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
await runOneJob(
  db,
  {
    "test.call": callingJob({
      callsOut: true,
      prepare: async ({ job }) => ({ call: job.id }),
      async call(jobId) {
        await sql`INSERT INTO test_calls (job_id, worker) VALUES (${jobId}, 'child')`.execute(db);
        process.stdout.write("calling\n");
        await new Promise(() => undefined); // the call never ends: the test kills this process
      },
    }),
  },
  systemClock,
  logger,
  `child-${process.pid}`,
);
