import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "../../db/index.js";
import { freePort } from "../helpers/container.js";
import { testDatabase } from "../helpers/db.js";
import { skipReason } from "../helpers/env.js";

/**
 * Issue 13 item 4: `npm run worker` has its own readiness, on WORKER_HEALTH_PORT. The real
 * entry point runs as a child process on this file's database (the worker needs PostgreSQL:
 * with the embedded database it runs inside npm start).
 */
describe.skipIf(skipReason(process.env.DATABASE_URL ? undefined : "npm run worker needs DATABASE_URL"))(
  "npm run worker answers /healthz and /readyz",
  () => {
    let db: DbHandle & { connectionString?: string };
    let child: ChildProcess | undefined;
    let output = "";
    let url: string;
    let metricsUrl: string;

    beforeAll(async () => {
      db = await testDatabase();
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      const metricsPort = await freePort();
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
      child = spawn(process.execPath, ["--import", "tsx", "bff/jobs/worker-main.ts"], {
        env: {
          ...process.env,
          NODE_ENV: "test",
          DATABASE_URL: db.connectionString!,
          WORKER_HEALTH_PORT: String(port),
          HOST: "127.0.0.1",
          WORKER_HEARTBEAT_SECONDS: "1",
          // Issue 15 item 4: its own metrics, on loopback (METRICS_HOST's default).
          WORKER_METRICS_PORT: String(metricsPort),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      child.stdout!.on("data", (d) => (output += d));
      child.stderr!.on("data", (d) => (output += d));
    });
    afterAll(async () => {
      if (child && child.exitCode === null) child.kill("SIGKILL");
      await db?.close();
    });

    /** Polls until the worker's /readyz answers 200 (bounded: 40 s). */
    async function untilReady(): Promise<any> {
      const deadline = Date.now() + 40_000;
      while (Date.now() < deadline) {
        if (child!.exitCode !== null) throw new Error(`worker exited ${child!.exitCode}:\n${output}`);
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        if (res?.status === 200) return res.json();
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`worker never ready:\n${output}`);
    }

    it("is ready with a fresh heartbeat of its own, and removes it on SIGTERM", async () => {
      const body = await untilReady();
      expect(body).toMatchObject({
        status: "ready",
        checks: { database: { status: "ok" }, migrations: { status: "ok" }, worker: { status: "ok" } },
      });
      const rows = await db.db.selectFrom("worker_heartbeats").select(["pid", "beat_at"]).execute();
      expect(rows.map((r) => r.pid)).toEqual([child!.pid]);
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get("cache-control")).toBe("no-store");
      expect((await fetch(`${url}/anything-else`)).status).toBe(404);
      // No METRICS_TOKEN: no /metrics on the health port, only on the metrics port.
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      const metrics = await (await fetch(metricsUrl)).text();
      expect(metrics).toMatch(/^portal_worker_heartbeat_age_seconds\{worker="[^"]+",host="[^"]+"\} \d/m);
      expect(metrics).toMatch(/^portal_db_pool_connections\{state="idle"\} \d/m);
      expect(metrics).toContain("process_resident_memory_bytes");

      // It keeps beating: a later beat than the first one read (period 1 s; bounded wait).
      const first = rows[0]!.beat_at.getTime();
      let later = first;
      for (let i = 0; i < 50 && later === first; i++) {
        await new Promise((r) => setTimeout(r, 100));
        later =
          (await db.db.selectFrom("worker_heartbeats").select("beat_at").executeTakeFirst())?.beat_at.getTime() ?? 0;
      }
      expect(later).toBeGreaterThan(first);

      const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));
      child!.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(await db.db.selectFrom("worker_heartbeats").selectAll().execute()).toEqual([]);
      await expect(fetch(metricsUrl)).rejects.toThrow();
      // Issue 15 item 4: what the worker wrote is JSON lines only.
      for (const line of output.split("\n").filter((l) => l.trim())) expect(() => JSON.parse(line), line).not.toThrow();
    }, 60_000);
  },
);
