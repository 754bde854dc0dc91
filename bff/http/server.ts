import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { loadConfig } from "../config.js";
import { type Container, createContainer } from "../container.js";
import { buildRefusal, readBuildStamp } from "../lifecycle/build-stamp.js";
import { httpDeadline, stopOnSignals } from "../lifecycle/shutdown.js";
import { consoleLogger, errorFields, logLine, routeProcessOutput } from "../logger.js";
import { closeMetricsServer, startMetricsServer } from "../metrics/server.js";
import { seedDemo } from "../../db/seed/demo.js";
import { demoAccounts, DEMO_PASSWORD } from "../../db/seed/demo-data.js";
import { createApp } from "./app.js";
import { drainable, type HttpDrain } from "./graceful-shutdown.js";
import type { Server } from "node:http";

/** The project folder: found from here both as bff/http/server.ts and bundled in build/. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error("package.json not found above the server");
    dir = up;
  }
  return dir;
}

const root = projectRoot();

async function main() {
  process.env.TZ ??= "UTC"; // nothing may depend on it: days are computed as Taipei days
  // Before the configuration: a wrong build is the first thing to fix, whatever else is.
  const stamp = readBuildStamp(path.join(root, "build"));
  const refusal = buildRefusal(stamp, process.env.NODE_ENV);
  if (refusal) {
    process.stderr.write(logLine("error", refusal));
    process.exit(1);
  }
  const config = loadConfig();
  // Issue 15 item 4 (ADR 0029): JSON lines only, libraries' warnings and errors included.
  const logger = consoleLogger(config.NODE_ENV === "test");
  routeProcessOutput(logger);
  const container = await createContainer(config, { logger });
  if (config.seedDemo) {
    await seedDemo(container.db, container.hasher.hash, container.clock.now());
  }
  const build = (await import(pathToFileURL(path.join(root, "build/index.js")).href)) as ServerBuild;
  // Set once the server listens; /readyz reads it to answer 503 while draining.
  let drain: HttpDrain | undefined;
  const app = createApp({
    container,
    build,
    publicDir: path.join(root, "public"),
    isDraining: () => drain?.draining ?? false,
  });

  const server = app.listen(config.PORT, config.HOST, () => {
    container.logger.info("portal listening", {
      url: `http://localhost:${config.PORT}`,
      database: container.dbKind,
      build: stamp && { mode: stamp.mode, commit: stamp.commit, dirty: stamp.dirty, builtAt: stamp.builtAt },
    });
    if (config.seedDemo) printDemoAccounts(config.PORT);
  });
  const http = (drain = drainable(server));
  const metricsServer = await listenForMetrics(container);
  let stopMaintenance = () => undefined as void;
  if (config.WORKER === "inline") {
    container.worker.start();
    stopMaintenance = container.scheduleMaintenance();
  }

  stopOnSignals({
    graceMs: config.SHUTDOWN_GRACE_MS,
    logger: container.logger,
    stop: (deadline) => stopServer(container, http, stopMaintenance, deadline, metricsServer),
  });
}

/** METRICS_PORT: the metrics listener of its own, on METRICS_HOST (ADR 0029). */
async function listenForMetrics(container: Container): Promise<Server | undefined> {
  const { config, logger, metrics } = container;
  metrics.addProcessMetrics();
  if (config.METRICS_PORT === undefined) return undefined;
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    logger,
    token: config.METRICS_TOKEN,
  });
  logger.info("metrics listening", { host: config.METRICS_HOST, port: config.METRICS_PORT });
  return server;
}

/**
 * The stop at SIGTERM/SIGINT (ADR 0022): HTTP drains (every request already received is
 * answered, with `Connection: close`) while the worker finishes its job in hand; then the
 * directory client and the database close.
 */
async function stopServer(
  container: Container,
  http: HttpDrain,
  stopMaintenance: () => void,
  deadline: number,
  metricsServer: Server | undefined,
) {
  stopMaintenance();
  const [drained] = await Promise.all([
    http.drain(httpDeadline(deadline, container.config.SHUTDOWN_GRACE_MS)),
    container.worker.stop(),
    // The metrics port closes with the rest: a process that stops must not keep a listener.
    closeMetricsServer(metricsServer),
  ]);
  if (drained.cut > 0) {
    container.logger.error("requests cut at the end of the grace period", { connections: drained.cut });
  }
  await container.close();
}

function printDemoAccounts(port: number) {
  const lines = demoAccounts.map((a) => `  ${a.username.padEnd(12)} ${a.note}`);
  console.log(
    [
      "",
      `臺南市政府公務入口網: http://localhost:${port}`,
      `Demo accounts (password for all: ${DEMO_PASSWORD}):`,
      ...lines,
      "",
    ].join("\n"),
  );
}

main().catch((err) => {
  process.stderr.write(logLine("error", "server failed to start", errorFields(err)));
  process.exit(1);
});
