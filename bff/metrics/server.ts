import { createHash, timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import type { Registry } from "prom-client";
import type { Logger } from "../jobs/worker.js";
import { listen } from "../http/listen.js";

/**
 * Where Prometheus reads the metrics (ADR 0029), never open to the public:
 * - METRICS_PORT (WORKER_METRICS_PORT for `npm run worker`): a listener of its own, on
 *   METRICS_HOST (127.0.0.1 unless set), answering GET /metrics only;
 * - METRICS_TOKEN: /metrics on a port the process already has (the app port, the worker's
 *   health port), for `Authorization: Bearer <token>` only. Without a token there is no
 *   /metrics there at all (the page answers 404).
 */
async function answerMetrics(registry: Registry, res: Response, logger: Logger) {
  try {
    const body = await registry.metrics();
    res.set("Content-Type", registry.contentType).set("Cache-Control", "no-store").send(body);
  } catch (err) {
    logger.error("metrics failed", { error: (err as Error).message });
    res.status(500).set("Cache-Control", "no-store").type("text/plain").send("metrics failed\n");
  }
}

/** /metrics behind the bearer token, for a port that serves other things too. */
export function metricsBehindToken(registry: Registry, token: string, logger: Logger) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== "/metrics") return next();
    const sent = /^Bearer (\S+)$/i.exec(req.get("authorization") ?? "")?.[1] ?? "";
    // Compared as digests: equal lengths for timingSafeEqual, and no timing hint on the token's length.
    if (!timingSafeEqual(digest(sent), expected)) {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="metrics"').set("Cache-Control", "no-store");
      res.type("text/plain").send("unauthorized\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    void answerMetrics(registry, res, logger);
  };
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** The metrics listener of its own (METRICS_PORT / WORKER_METRICS_PORT). */
export function startMetricsServer(opts: {
  registry: Registry;
  port: number;
  host: string;
  logger: Logger;
  /** Asked for here too when set (required by the configuration off loopback). */
  token?: string;
}): Promise<Server> {
  const app = express();
  app.disable("x-powered-by");
  if (opts.token) app.use(metricsBehindToken(opts.registry, opts.token, opts.logger));
  else app.get("/metrics", (_req, res) => void answerMetrics(opts.registry, res, opts.logger));
  app.use((_req, res) => {
    res.status(404).set("Cache-Control", "no-store").type("text/plain").send("not found\n");
  });
  return listen(app, opts.port, opts.host);
}

/** Stops the metrics listener at shutdown: a scrape in flight is cut (Prometheus retries next interval). */
export function closeMetricsServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
