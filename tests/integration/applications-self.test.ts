import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import { domainError } from "./applications-helpers.js";

// ACC-19 my account and ACC-17 password expiry, through the services.
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let me: MadeAccount;
const self = () => c.services.applications.self;

beforeAll(async () => {
  c = await testContainer({ clock });
  const unit = (await makeUnit(c, (await makeAgency(c, "自助局")).id)).id;
  me = await makeAccount(c, { unitId: unit });
});
afterAll(() => c?.close());

describe("my account (ACC-19)", () => {
  it("edits my own data, audited with before → after, and queued for AD", async () => {
    const { actor } = await signInAs(c, me);
    const r = await self().updateMyData(actor, {
      title: "專員",
      officePhone: "06-2990000",
      officeExt: "12",
      workAddress: "永華路二段6號",
    });
    expect(r.changed).toBeGreaterThan(0);
    const row = await c.db
      .selectFrom("accounts")
      .select(["title", "office_phone"])
      .where("id", "=", me.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ title: "專員", office_phone: "06-2990000" });
    const audit = await c.db
      .selectFrom("audit_log")
      .select("detail")
      .where("action", "=", "account.self_update")
      .where("actor_id", "=", me.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.detail)).toContain("專員");
    const ad = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("kind", "like", "directory.%")
      .where("created_by", "=", me.id)
      .execute();
    expect(ad.length).toBeGreaterThan(0);
    const bad = await domainError(
      self().updateMyData(actor, { title: "", officePhone: "abc", workAddress: "x".repeat(10_000) }),
    );
    expect(Object.keys(bad.fields).sort()).toEqual(["officePhone", "title", "workAddress"]);
  });

  it("a new backup e-mail needs my current password", async () => {
    const { actor } = await signInAs(c, me);
    const base = {
      title: "專員",
      officePhone: "06-2990000",
      officeExt: "12",
      workAddress: "永華路二段6號",
      backupEmail: "mine@example.com",
    };
    const refused = await domainError(self().updateMyData(actor, { ...base, currentPassword: "wrong" }));
    expect(refused.fields.currentPassword).toBeTruthy();
    await self().updateMyData(actor, { ...base, currentPassword: me.password });
    const row = await c.db
      .selectFrom("accounts")
      .select("backup_email")
      .where("id", "=", me.id)
      .executeTakeFirstOrThrow();
    expect(row.backup_email).toBe("mine@example.com");
  });

  it("lists my sign-ins and what I did, mine only, paged", async () => {
    const other = await makeAccount(c, { unitId: me.unitId });
    await signInAs(c, other);
    const { actor } = await signInAs(c, me);
    const logins = await self().loginRecords(actor, "1");
    expect(logins.total).toBeGreaterThan(0);
    expect(logins.rows.every((r) => r.result !== undefined)).toBe(true);
    const all = await c.db
      .selectFrom("login_records")
      .select("account_id")
      .where(
        "id",
        "in",
        logins.rows.map((r) => r.id),
      )
      .execute();
    expect(all.every((r) => r.account_id === me.id)).toBe(true);
    const usage = await self().usageRecords(actor, "abc");
    expect(usage.page).toBe(1);
    expect(usage.rows.map((r) => r.action)).toContain("account.self_update");
    // The target reads as zh-TW with its name (issue 17), never `account #12`.
    const mine = usage.rows.find((r) => r.action === "account.self_update");
    expect(mine?.target).toBe(`帳號 #${me.id}（測試${me.username}）`);
  });
});

describe("password expiry (ACC-17)", () => {
  it("is due once password_changed_at + N days (system parameter) has passed", async () => {
    const fresh = await makeAccount(c, {
      unitId: me.unitId,
      passwordChangedAt: new Date(clock.now().getTime() - 89 * 86_400_000),
    });
    const { actor } = await signInAs(c, fresh);
    expect(await self().mustChangePassword(actor)).toBe(false);
    clock.advance(86_400_000 + 1);
    try {
      expect(await self().mustChangePassword(actor)).toBe(true);
      await c.db
        .updateTable("system_params")
        .set({ value: JSON.stringify(120) })
        .where("key", "=", "password_max_age_days")
        .execute();
      expect(await self().mustChangePassword(actor)).toBe(false);
    } finally {
      clock.advance(-(86_400_000 + 1));
      await c.db
        .updateTable("system_params")
        .set({ value: JSON.stringify(90) })
        .where("key", "=", "password_max_age_days")
        .execute();
    }
  });
});
