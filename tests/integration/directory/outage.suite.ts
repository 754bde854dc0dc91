import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Container } from "../../../bff/container.js";
import { fixedClock } from "../../../bff/ports/clock.js";
import type { Actor } from "../../../bff/actor.js";
import { testContainer } from "../../helpers/container.js";
import { makeAccount } from "../../helpers/factory.js";
import { startDC, type SambaDC } from "../../helpers/samba.js";
import { adSkip, agencyWithUnit, changeAccount } from "./ad-fixture.js";

/**
 * IDN-5 outage (runs last): with the DC stopped, 100 account changes all commit in the
 * portal and wait; once the DC is back the backlog drains and AD equals the portal.
 */
describe.skipIf(adSkip(inject))("AD outage", () => {
  const clock = fixedClock(new Date("2026-11-30T04:00:00Z"));
  let dc: SambaDC;
  let c: Container;
  let ou: string;
  let admin: Actor;

  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"));
    ou = await dc.createOU("Portal");
    c = await testContainer({ clock, env: dc.env({ "*": ou }) });
  });
  afterAll(async () => {
    await c?.close();
    await dc?.destroy();
  });

  it("100 changes made while AD is down commit, wait, and reach AD when it is back", { timeout: 180_000 }, async () => {
    const { unit } = await agencyWithUnit(c, "O1", "秘書室");
    const sys = await makeAccount(c, { unitId: unit.id, role: "sys_admin", username: "out.admin" });
    admin = {
      accountId: sys.id,
      username: sys.username,
      name: "管理者",
      role: "sys_admin",
      agencyId: sys.agencyId,
      unitId: unit.id,
      sessionId: "s",
      ip: "127.0.0.1",
    };
    const rows = await c.db
      .insertInto("accounts")
      .values(
        Array.from({ length: 100 }, (_, i) => ({
          username: `out${String(i).padStart(3, "0")}`,
          name: `測試員${i}`,
          unit_id: unit.id,
          password_changed_at: clock.now(),
        })),
      )
      .returning("id")
      .execute();
    const ids = rows.map((r) => r.id);
    await dc.stop();

    for (const [i, id] of ids.entries()) {
      await changeAccount(c, id, { title: `職稱${i}`, status: i % 10 === 0 ? "disabled" : "enabled" });
    }
    expect((await c.services.directory.status(admin)).backlog).toBe(100);

    // The worker tries while AD is away: every attempt fails as unreachable and stays pending.
    expect(await c.worker.drain()).toBe(100);
    const down = await c.services.directory.status(admin);
    expect(down).toMatchObject({ configured: true, backlog: 100, failing: 100, dead: 0 });
    const failures = await c.services.directory.failures(admin, { limit: 5 });
    expect(failures[0]?.lastError).toContain("無法連線到 AD");
    expect(
      await c.db.selectFrom("accounts").select("title").where("id", "=", ids[7]!).executeTakeFirstOrThrow(),
    ).toEqual({
      title: "職稱7",
    });

    await dc.start();
    clock.advance(10 * 60_000); // past the capped backoff
    const started = Date.now();
    expect(await c.worker.drain()).toBe(100);
    console.info(`[directory outage] drained 100 AD changes in ${Date.now() - started} ms`);
    expect((await c.services.directory.status(admin)).backlog).toBe(0);

    const inAd = new Map((await c.services.directory.port.listManaged()).map((u) => [u.username, u]));
    const portal = await c.db
      .selectFrom("accounts")
      .select(["username", "title", "status", "name"])
      .where("id", "in", ids)
      .execute();
    expect(portal).toHaveLength(100);
    for (const p of portal) {
      const u = inAd.get(p.username);
      expect(u, p.username).toMatchObject({ title: p.title, displayName: p.name, enabled: p.status === "enabled", ou });
    }
  });
});
