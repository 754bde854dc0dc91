import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startOfTaipeiDay, taipeiDate, taipeiDaysBetween } from "../../bff/time.js";
import { formatDateTime } from "../../app/utils/format.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs } from "../helpers/factory.js";

// The suite runs with TZ=UTC (tests/vitest.config.ts): nothing below may depend on it.
describe("Asia/Taipei dates on a UTC server", () => {
  it("runs on UTC", () => {
    expect(new Date("2026-11-30T00:00:00Z").getTimezoneOffset()).toBe(0);
  });

  it("a Taipei day starts at 16:00 UTC the day before", () => {
    expect(taipeiDate(new Date("2026-11-29T15:59:59Z"))).toBe("2026-11-29"); // 23:59:59 Taipei
    expect(taipeiDate(new Date("2026-11-29T16:00:00Z"))).toBe("2026-11-30"); // 00:00 Taipei
    expect(startOfTaipeiDay("2026-11-30").toISOString()).toBe("2026-11-29T16:00:00.000Z");
  });

  it("08:00 Taipei is midnight UTC, and both sides of it are the same Taipei day", () => {
    expect(taipeiDate(new Date("2026-11-29T23:59:00Z"))).toBe("2026-11-30"); // 07:59 Taipei
    expect(taipeiDate(new Date("2026-11-30T00:00:00Z"))).toBe("2026-11-30"); // 08:00 Taipei
    expect(formatDateTime(new Date("2026-11-30T00:00:00Z"))).toBe("2026/11/30 08:00");
    expect(formatDateTime(new Date("2026-11-29T16:00:00Z"))).toBe("2026/11/30 00:00");
    expect(formatDateTime("2026-12-31T15:59:00.000Z")).toBe("2026/12/31 23:59");
  });

  it("counts calendar days across Taipei midnight, not 24-hour spans", () => {
    expect(taipeiDaysBetween(new Date("2026-11-29T15:59:00Z"), new Date("2026-11-29T16:01:00Z"))).toBe(1);
    expect(taipeiDaysBetween(new Date("2026-11-29T16:01:00Z"), new Date("2026-11-30T15:59:00Z"))).toBe(0);
  });
});

describe("password expiry reminder (ACC-17) around Taipei midnight", () => {
  const clock = fixedClock(new Date("2026-11-29T15:30:00Z")); // 23:30 Taipei
  let c: Container;
  beforeAll(async () => {
    c = await testContainer({ clock });
  });
  afterAll(() => c?.close());

  it("drops by one at 00:00 Taipei, not at 00:00 UTC", async () => {
    const unit = await makeUnit(c, (await makeAgency(c)).id);
    // Set 85 days ago at 10:00 Taipei; the limit is 90 days.
    const a = await makeAccount(c, { unitId: unit.id, passwordChangedAt: new Date("2026-09-05T02:00:00Z") });
    const { actor } = await signInAs(c, a);
    expect(await c.services.home.passwordDaysLeft(actor)).toBe(5);
    clock.set(new Date("2026-11-29T16:00:00Z")); // 00:00 Taipei
    expect(await c.services.home.passwordDaysLeft(actor)).toBe(4);
    clock.set(new Date("2026-11-30T00:00:00Z")); // 08:00 Taipei, 00:00 UTC: same Taipei day
    expect(await c.services.home.passwordDaysLeft(actor)).toBe(4);
  });

  it("the database agrees on Taipei days whatever its session time zone", async () => {
    const { sql } = await import("kysely");
    const r = await sql<{
      d: string;
    }>`SELECT (${new Date("2026-11-29T16:00:00Z")}::timestamptz AT TIME ZONE 'Asia/Taipei')::date::text AS d`.execute(
      c.db,
    );
    expect(r.rows[0]?.d).toBe("2026-11-30");
  });
});

describe("home greeting by the Taipei hour", () => {
  const clock = fixedClock(new Date("2026-11-30T00:30:00Z")); // 08:30 Taipei, 00:30 UTC
  let c: Container;
  beforeAll(async () => {
    c = await testContainer({ clock });
  });
  afterAll(() => c?.close());

  it("greets by Taipei time, not the server's", async () => {
    const unit = await makeUnit(c, (await makeAgency(c)).id);
    const { actor } = await signInAs(c, await makeAccount(c, { unitId: unit.id }));
    expect((await c.services.home.home(actor)).greeting).toBe("早安");
    clock.set(new Date("2026-11-30T11:00:00Z")); // 19:00 Taipei
    expect((await c.services.home.home(actor)).greeting).toBe("晚安");
  });
});
