// `npm run worker` (build/worker.mjs, bundled by `npm run build`): the jobs worker alone, so
// several app servers (WORKER=off) can share it.
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";
import { stopOnSignals } from "../lifecycle/shutdown.js";

const config = loadConfig();
if (config.embedded) {
  // One PGlite data directory can be opened by one process only.
  console.error("npm run worker needs DATABASE_URL: with the embedded database the worker runs inside npm start.");
  process.exit(1);
}
const container = await createContainer(config);
container.worker.start();
const stopMaintenance = container.scheduleMaintenance();
container.logger.info("worker started", { id: container.worker.id, database: container.dbKind });

// SIGTERM/SIGINT: the job in hand finishes, then the database closes; exit 0 within
// SHUTDOWN_GRACE_MS (ADR 0021).
stopOnSignals({
  graceMs: config.SHUTDOWN_GRACE_MS,
  logger: container.logger,
  stop: async () => {
    stopMaintenance();
    await container.close();
  },
});
