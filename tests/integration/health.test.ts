import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import express from "express";
import { Kysely, PostgresDialect, sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { healthRoutes } from "../../bff/http/health.js";
import { createHeartbeat } from "../../bff/jobs/heartbeat.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { createPool } from "../../db/index.js";
import type { DB } from "../../db/schema.js";
import { freePort, silentLogger, testContainer } from "../helpers/container.js";

/**
 * Issue 13 item 4: /healthz says the process is alive without touching the database;
 * /readyz says "send me traffic": database answering (fast, or 503 within ~2 s), every
 * migration this code needs recorded as ours, and with WORKER=inline a fresh heartbeat.
 */

async function serve(routes: express.Router): Promise<{ url: string; close(): Promise<void> }> {
  const app = express().use(routes);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, cacheControl: res.headers.get("cache-control"), body: (await res.json()) as any };
};

describe("/readyz on an app server with the worker inline", () => {
  const clock = fixedClock(new Date("2026-12-01T02:00:00Z"));
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  const readyz = () => getJson(`${server.url}/readyz`);
  let draining = false;

  beforeAll(async () => {
    c = await testContainer({ clock, env: { WORKER: "inline", WORKER_HEARTBEAT_SECONDS: "10" } });
    server = await serve(healthRoutes(c, () => draining));
  });
  afterAll(async () => {
    await server?.close();
    await c?.close();
  });

  it("/healthz answers ok with no-store", async () => {
    const r = await getJson(`${server.url}/healthz`);
    expect(r).toMatchObject({ status: 200, cacheControl: "no-store", body: { status: "ok" } });
  });

  it("answers 503 draining once SIGTERM started the drain, whatever the checks say; /healthz stays 200", async () => {
    draining = true;
    try {
      expect(await readyz()).toMatchObject({ status: 503, cacheControl: "no-store", body: { status: "draining" } });
      expect((await getJson(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      draining = false;
    }
    expect((await readyz()).body.status).not.toBe("draining");
  });

  it("is unavailable until the worker beats, ready while the beat is fresh, unavailable once it is stale", async () => {
    let r = await readyz();
    expect(r.status).toBe(503);
    expect(r.cacheControl).toBe("no-store");
    expect(r.body.checks).toMatchObject({
      database: { status: "ok" },
      migrations: { status: "ok" },
      worker: { status: "fail", reason: "no heartbeat" },
    });

    expect(await c.worker.heartbeat.beat()).toBe(true);
    r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "ready", checks: { worker: { status: "ok" } } });

    // Three beats (30 s) may be missed; one more millisecond and the worker counts as gone.
    clock.advance(c.worker.heartbeat.staleAfterMs);
    expect((await readyz()).status).toBe(200);
    clock.advance(1);
    r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.checks.worker).toMatchObject({ status: "fail", reason: "stale" });

    await c.worker.heartbeat.beat();
    expect((await readyz()).status).toBe(200);
  });

  it("the worker's start and stop drive the heartbeat (its row is removed on stop)", async () => {
    const rows = () =>
      c.db.selectFrom("worker_heartbeats").select(["worker_id", "pid"]).where("worker_id", "=", c.worker.id).execute();
    await c.db.deleteFrom("worker_heartbeats").execute();
    c.worker.start();
    expect(c.worker.heartbeat.running).toBe(true);
    // start() writes its first beat without waiting; bounded wait for it.
    for (let i = 0; i < 50 && (await rows()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await rows()).toEqual([{ worker_id: c.worker.id, pid: process.pid }]);
    expect((await readyz()).status).toBe(200);
    await c.worker.stop();
    expect(c.worker.heartbeat.running).toBe(false);
    expect(await rows()).toEqual([]);
    expect((await readyz()).body.checks.worker).toMatchObject({ status: "fail", reason: "no heartbeat" });
    await c.worker.heartbeat.beat();
  });

  it("is unavailable when one of this code's migrations is not recorded (a database restored from an older backup)", async () => {
    const row = await c.db
      .selectFrom("kysely_migration" as any)
      .selectAll()
      .where("name", "=", "0081_worker_heartbeats")
      .executeTakeFirstOrThrow();
    await sql`DELETE FROM kysely_migration WHERE name = '0081_worker_heartbeats'`.execute(c.db);
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body.checks.migrations).toEqual({ status: "fail", missing: ["0081_worker_heartbeats"], mismatched: [] });
    } finally {
      await c.db
        .insertInto("kysely_migration" as any)
        .values(row as any)
        .execute();
    }
    expect((await readyz()).status).toBe(200);
  });

  it("is unavailable when the record of one of this code's migrations disagrees (checksum)", async () => {
    const before = await sql<{
      checksum: string;
    }>`SELECT checksum FROM kysely_migration WHERE name = '0020_repairs'`.execute(c.db);
    await sql`UPDATE kysely_migration SET checksum = ${"0".repeat(64)} WHERE name = '0020_repairs'`.execute(c.db);
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body.checks.migrations).toEqual({ status: "fail", missing: [], mismatched: ["0020_repairs"] });
    } finally {
      await sql`UPDATE kysely_migration SET checksum = ${before.rows[0]!.checksum} WHERE name = '0020_repairs'`.execute(
        c.db,
      );
    }
  });

  it("stays ready with a later release's migration applied (rolling deploy), and names it", async () => {
    await sql`INSERT INTO kysely_migration (name, timestamp, checksum)
      VALUES ('9990_next_release', ${new Date().toISOString()}, ${"a".repeat(64)})`.execute(c.db);
    try {
      const r = await readyz();
      expect(r.status).toBe(200);
      expect(r.body.checks.migrations).toEqual({ status: "ok", newer: ["9990_next_release"] });
    } finally {
      await sql`DELETE FROM kysely_migration WHERE name = '9990_next_release'`.execute(c.db);
    }
  });
});

describe("when the database is away", () => {
  const clock = fixedClock(new Date("2026-12-01T02:00:00Z"));
  const away = (port: number) =>
    new Kysely<DB>({
      dialect: new PostgresDialect({
        pool: createPool(`postgresql://portal:s3cret-password@127.0.0.1:${port}/portal`, 2, () => undefined),
      }),
    });
  const routesOn = (db: Kysely<DB>, workerInline: boolean) =>
    healthRoutes({
      db,
      clock,
      logger: silentLogger,
      config: { WORKER: workerInline ? "inline" : "off" },
      worker: {
        heartbeat: createHeartbeat({ db, clock, logger: silentLogger, workerId: "w-test", intervalMs: 10_000 }),
      },
    });

  it("refused connections: /readyz 503 naming the database, no secrets in the body; /healthz still 200", async () => {
    const db = away(await freePort()); // nothing listens there
    const server = await serve(routesOn(db, true));
    try {
      const res = await fetch(`${server.url}/readyz`);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(JSON.parse(text)).toEqual({
        status: "unavailable",
        checks: {
          database: { status: "fail", reason: "unreachable" },
          migrations: { status: "unknown" },
          worker: { status: "unknown" },
        },
      });
      for (const leak of ["s3cret", "portal:", "ECONNREFUSED", "127.0.0.1"]) expect(text).not.toContain(leak);
      const health = await getJson(`${server.url}/healthz`);
      expect(health).toMatchObject({ status: 200, body: { status: "ok" } });
    } finally {
      await server.close();
      await db.destroy();
    }
  });

  it("a heartbeat that cannot be written is reported once, not on every beat, and never throws", async () => {
    const db = away(await freePort());
    const logged: string[] = [];
    const logger = { info: () => undefined, warn: () => undefined, error: (msg: string) => void logged.push(msg) };
    const hb = createHeartbeat({ db, clock, logger, workerId: "w-away", intervalMs: 10_000 });
    try {
      for (let i = 0; i < 3; i++) expect(await hb.beat()).toBe(false);
      expect(logged).toEqual(["worker heartbeat failed"]);
    } finally {
      await db.destroy();
    }
  });

  it("a stalled database: /readyz gives 503 within ~2 s, and parallel probes share one connection attempt", async () => {
    // Accepts TCP connections and never answers, as a hung or partitioned server does.
    const sockets: net.Socket[] = [];
    const stall = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => stall.listen(0, "127.0.0.1", r));
    const db = away((stall.address() as AddressInfo).port);
    const server = await serve(routesOn(db, false));
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 5 }, () => getJson(`${server.url}/readyz`)));
      const elapsed = Date.now() - started;
      for (const r of answers) {
        expect(r.status).toBe(503);
        expect(r.body.checks.database).toEqual({ status: "fail", reason: "timeout" });
      }
      // READY_TIMEOUT_MS is 1.5 s; the bound is 4x that, far from the 11 s hang of issue 13.
      expect(elapsed).toBeLessThan(6000);
      // Single flight: five probes, one stalled connection (the pool would allow two).
      expect(sockets.length).toBe(1);
      const health = await getJson(`${server.url}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      for (const s of sockets) s.destroy(); // the pending connect fails, so the pool can end
      stall.close();
      await server.close();
      await db.destroy();
    }
  });
});
