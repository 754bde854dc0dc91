// `npm run worker` (build/worker.mjs, bundled by `npm run build`): the jobs worker alone, so
// several app servers (WORKER=off) can share it.
import type { Server } from "node:http";
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";
import { startWorkerHealthServer } from "../http/health.js";
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

// Issue 13 item 4: its own /healthz and /readyz (database, migrations, this worker's heartbeat).
let health: Server | undefined;
if (config.WORKER_HEALTH_PORT !== undefined) {
  health = await startWorkerHealthServer({
    port: config.WORKER_HEALTH_PORT,
    host: config.HOST,
    db: container.db,
    clock: container.clock,
    logger: container.logger,
    heartbeat: container.worker.heartbeat,
  });
  container.logger.info("worker health listening", { port: config.WORKER_HEALTH_PORT });
}

// SIGTERM/SIGINT: the job in hand finishes, then the database closes; exit 0 within
// SHUTDOWN_GRACE_MS (ADR 0022).
stopOnSignals({
  graceMs: config.SHUTDOWN_GRACE_MS,
  logger: container.logger,
  stop: async () => {
    health?.closeAllConnections();
    health?.close();
    stopMaintenance();
    await container.close();
  },
});
