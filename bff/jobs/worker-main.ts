// `npm run worker` (build/worker.mjs, bundled by `npm run build`): the jobs worker alone, so
// several app servers (WORKER=off) can share it.
import type { Server } from "node:http";
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";
import { startWorkerHealthServer } from "../http/health.js";
import { stopOnSignals } from "../lifecycle/shutdown.js";
import { consoleLogger, logLine, routeProcessOutput } from "../logger.js";
import { closeMetricsServer, metricsBehindToken, startMetricsServer } from "../metrics/server.js";

const config = loadConfig();
if (config.embedded) {
  // One PGlite data directory can be opened by one process only.
  process.stderr.write(
    logLine("error", "npm run worker needs DATABASE_URL: with the embedded database the worker runs inside npm start."),
  );
  process.exit(1);
}
// Issue 15 item 4 (ADR 0029): JSON lines only, libraries' warnings and errors included.
const logger = consoleLogger(config.NODE_ENV === "test");
routeProcessOutput(logger);
const container = await createContainer(config, { logger });
container.metrics.addProcessMetrics();
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
    // METRICS_TOKEN: /metrics on the health port too, for the bearer token only.
    extra: config.METRICS_TOKEN
      ? metricsBehindToken(container.metrics.registry, config.METRICS_TOKEN, container.logger)
      : undefined,
  });
  container.logger.info("worker health listening", { port: config.WORKER_HEALTH_PORT });
}

// Its own metrics (jobs, pool, heartbeats, process) on WORKER_METRICS_PORT, bound to METRICS_HOST.
let metrics: Server | undefined;
if (config.WORKER_METRICS_PORT !== undefined) {
  metrics = await startMetricsServer({
    registry: container.metrics.registry,
    port: config.WORKER_METRICS_PORT,
    host: config.METRICS_HOST,
    logger: container.logger,
    token: config.METRICS_TOKEN,
  });
  container.logger.info("worker metrics listening", { host: config.METRICS_HOST, port: config.WORKER_METRICS_PORT });
}

// SIGTERM/SIGINT: the job in hand finishes, then the database closes; exit 0 within
// SHUTDOWN_GRACE_MS (ADR 0022).
stopOnSignals({
  graceMs: config.SHUTDOWN_GRACE_MS,
  logger: container.logger,
  stop: async () => {
    health?.closeAllConnections();
    health?.close();
    await closeMetricsServer(metrics);
    stopMaintenance();
    await container.close();
  },
});
