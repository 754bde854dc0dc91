import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { loadConfig } from "../config.js";
import { createContainer } from "../container.js";
import { seedDemo } from "../../db/seed/demo.js";
import { demoAccounts, DEMO_PASSWORD } from "../../db/seed/demo-data.js";
import { createApp } from "./app.js";

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
  const config = loadConfig();
  const container = await createContainer(config);
  if (config.seedDemo) {
    await seedDemo(container.db, container.hasher.hash, container.clock.now());
  }
  const build = (await import(pathToFileURL(path.join(root, "build/index.js")).href)) as ServerBuild;
  const app = createApp({ container, build, publicDir: path.join(root, "public") });

  const server = app.listen(config.PORT, config.HOST, () => {
    container.logger.info("portal listening", { url: `http://localhost:${config.PORT}`, database: container.dbKind });
    if (config.seedDemo) printDemoAccounts(config.PORT);
  });
  if (config.WORKER === "inline") {
    container.worker.start();
    container.scheduleMaintenance();
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    container.logger.info("shutting down", { signal });
    const force = setTimeout(() => process.exit(1), config.SHUTDOWN_GRACE_MS + 5000).unref();
    // Stop taking connections; in-flight requests finish, idle keep-alive sockets close.
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), config.SHUTDOWN_GRACE_MS).unref();
    });
    await container.close(); // stops the worker after its current job, then the database
    clearTimeout(force);
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
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
  console.error(err);
  process.exit(1);
});
