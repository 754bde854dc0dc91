import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../db/index.js";
import { testDatabase } from "../helpers/db.js";
import { skipReason } from "../helpers/env.js";
import { freeLoopbackPort, spawnBuiltServer } from "../helpers/in-flight.js";

/**
 * Issue 15 item 4 (ADR 0029), on the real built server (`node build/server.mjs`): what it
 * writes is JSON lines only, the metrics listener on METRICS_PORT answers beside the app
 * port, and SIGTERM closes it with the rest (exit 0, the port no longer answers).
 */
describe.skipIf(
  skipReason(process.env.DATABASE_URL ? undefined : "needs DATABASE_URL: the server shares the database"),
)("the built server's logs and metrics port", () => {
  let db: DbHandle & { connectionString?: string };
  let dataDir: string;
  beforeAll(async () => {
    db = await testDatabase();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portal-obs-"));
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("logs JSON only, serves /metrics on METRICS_PORT (not the app port) and closes it at SIGTERM", async () => {
    const metricsPort = await freeLoopbackPort();
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const server = await spawnBuiltServer({
      // Not "test": that silences info lines, and the request lines are what is checked.
      NODE_ENV: "development",
      DATABASE_URL: db.connectionString!,
      DATA_KEY: randomBytes(32).toString("base64"),
      DATA_DIR: dataDir,
      WORKER: "off",
      METRICS_PORT: String(metricsPort),
      SHUTDOWN_GRACE_MS: "3000",
    });
    try {
      const page = await fetch(`${server.url}/login`);
      await page.body?.cancel();
      const id = page.headers.get("x-request-id");
      const onApp = await fetch(`${server.url}/metrics`);
      await onApp.body?.cancel();
      expect(onApp.status).toBe(404);

      const metrics = await fetch(metricsUrl);
      const text = await metrics.text();
      expect(metrics.status).toBe(200);
      expect(text).toMatch(
        /^portal_http_request_duration_seconds_count\{route="routes\/login",method="GET",status_class="2xx"\} 1$/m,
      );
      expect(text).toContain("process_cpu_user_seconds_total"); // the process series, in the real process only
      expect(text).toContain("portal_db_pool_connections");

      const exited = server.exit;
      server.child.kill("SIGTERM");
      expect(await exited).toEqual({ code: 0, signal: null });
      await expect(fetch(metricsUrl)).rejects.toThrow();

      const lines = server
        .output()
        .split("\n")
        .filter((l) => l.trim() !== "");
      const parsed = lines.map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          throw new Error(`not a JSON line: ${l}`);
        }
      });
      expect(parsed.filter((l) => l.msg === "request" && l.requestId === id)).toEqual([
        expect.objectContaining({ method: "GET", route: "routes/login", status: 200 }),
      ]);
      expect(parsed.some((l) => l.msg === "metrics listening")).toBe(true);
    } finally {
      if (server.child.exitCode === null) server.child.kill("SIGKILL");
    }
  });
});
