import type { Server } from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { type Config, loadConfig } from "../../bff/config.js";
import { type Container, createContainer } from "../../bff/container.js";
import { createApp } from "../../bff/http/app.js";
import type { Logger } from "../../bff/jobs/worker.js";
import { logLine } from "../../bff/logger.js";
import { type Clock } from "../../bff/ports/clock.js";
import type { DbHandle } from "../../db/index.js";
import { testDatabase } from "./db.js";

export const silentLogger: Logger & { errors: string[]; warnings: string[] } = Object.assign(
  { errors: [] as string[], warnings: [] as string[] },
  {
    info: () => undefined,
    warn(msg: string, extra?: Record<string, unknown>) {
      silentLogger.warnings.push(`${msg} ${JSON.stringify(extra ?? {})}`);
    },
    error(msg: string, extra?: Record<string, unknown>) {
      silentLogger.errors.push(`${msg} ${JSON.stringify(extra ?? {})}`);
    },
  },
);

export interface LoggedLine {
  level: "info" | "warn" | "error";
  msg: string;
  [field: string]: unknown;
}

/** A logger that keeps every line as the JSON the production logger writes would parse to. */
export function capturingLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const keep = (level: LoggedLine["level"]) => (msg: string, extra?: Record<string, unknown>) =>
    void lines.push(JSON.parse(logLine(level, msg, extra)) as LoggedLine);
  return { lines, info: keep("info"), warn: keep("warn"), error: keep("error") };
}

/** The app's own composition root on this file's database, with cheap argon2 parameters. */
export async function testContainer(
  opts: {
    clock?: Clock;
    env?: Record<string, string>;
    db?: DbHandle;
    pushLookup?: LookupFunction;
    logger?: Logger;
  } = {},
): Promise<Container> {
  const config = loadConfig({
    NODE_ENV: "test",
    ARGON2_MEMORY_KIB: "1024",
    ARGON2_ITERATIONS: "1",
    WORKER: "off",
    DATA_DIR: "/nonexistent",
    // Tests that set a system parameter in SQL expect it at once; the cache's bound has its
    // own test with two app servers (tests/integration/params.test.ts).
    PARAMS_CACHE_SECONDS: "0",
    ...opts.env,
  });
  const db = opts.db ?? (await testDatabase());
  return createContainer(config, {
    db,
    clock: opts.clock,
    logger: opts.logger ?? silentLogger,
    pushLookup: opts.pushLookup,
  });
}

/** The real Express app and Remix build, served from this process on a free port. */
export async function startTestServer(
  container: Container,
  port = 0,
  /** Settings this app server sees differently from the container's (another TRUST_PROXY, a METRICS_TOKEN). */
  configOverride: Partial<Config> = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const buildPath = path.resolve("build/index.js");
  const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
  const app = createApp({
    container: { ...container, config: { ...container.config, ...configOverride } },
    build,
    publicDir: path.resolve("public"),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, "127.0.0.1", () => resolve(s));
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on right now, for a server whose URL must be known beforehand. */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
