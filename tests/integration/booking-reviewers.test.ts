import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

/**
 * Issue 18, rule 1: nobody decides their own booking. A custodian's own request goes to the
 * item's other custodian; with none, to the agency's admins; when the applicant is the sole
 * agency admin, to the system admins. Whoever it goes to is notified, sees it in 審核 and may
 * decide it; nobody else may. Cancelling an approved booking tells the custodians and stays in
 * the item's records.
 */
const clock = fixedClock(new Date("2026-11-30T01:00:00Z")); // 09:00 Taipei
let c: Container;
let siteId: number;
let agencyId: number;
let custodian1: MadeAccount, custodian2: MadeAccount, admin: MadeAccount, sysAdmin: MadeAccount, user: MadeAccount;
const actors = new Map<number, Actor>();
const as = (a: MadeAccount) => actors.get(a.id)!;
let slot = 0;

beforeAll(async () => {
  c = await testContainer({ clock });
  siteId = (await makeSite(c)).id;
  agencyId = (await makeAgency(c, "審核局")).id;
  const unitId = (await makeUnit(c, agencyId)).id;
  const otherUnit = (await makeUnit(c, (await makeAgency(c, "系統機關")).id)).id;
  custodian1 = await makeAccount(c, { unitId, name: "保管一" });
  custodian2 = await makeAccount(c, { unitId, name: "保管二" });
  admin = await makeAccount(c, { unitId, name: "機關管理", role: "agency_admin" });
  user = await makeAccount(c, { unitId, name: "一般同仁" });
  sysAdmin = await makeAccount(c, { unitId: otherUnit, name: "系統管理", role: "sys_admin" });
  for (const a of [custodian1, custodian2, admin, user, sysAdmin]) actors.set(a.id, (await signInAs(c, a)).actor);
  // Mail goes to a backup address when the account has no official mailbox.
  for (const a of [custodian1, custodian2])
    await c.db
      .updateTable("accounts")
      .set({ backup_email: `${a.username}@example.test` })
      .where("id", "=", a.id)
      .execute();
});
afterAll(() => c?.close());

/** A request on its own day (so requests never clash), and whom its push went to. */
async function request(applicant: MadeAccount, itemId: number) {
  slot += 1;
  const day = `2026-12-${String(slot).padStart(2, "0")}`;
  const { id } = await c.services.bookings.request(as(applicant), {
    itemId,
    startsAt: `${day}T10:00`,
    endsAt: `${day}T11:00`,
    reason: "科務會議",
    attendees: "5",
  });
  const job = await c.db
    .selectFrom("jobs")
    .select("payload")
    .where("idempotency_key", "=", `push:booking-request:${id}`)
    .executeTakeFirst();
  const pushedTo = ((job?.payload as { recipients?: number[] } | undefined)?.recipients ?? []).sort();
  return { id, pushedTo };
}

const inboxIds = async (a: MadeAccount) =>
  (await c.services.inbox.list(as(a))).filter((e) => e.kind === "booking").map((e) => e.id);

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => "allowed",
    (e: { code: string }) => e.code,
  );

describe("who decides a booking", () => {
  it("a plain request goes to both custodians, and only to them", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id, custodian2.id] });
    const { id, pushedTo } = await request(user, item.id);
    expect(pushedTo).toEqual([custodian1.id, custodian2.id].sort());
    expect(await inboxIds(custodian1)).toContain(id);
    expect(await inboxIds(admin)).not.toContain(id);
    expect(await refusal(c.services.bookings.decide(as(admin), id, { decision: "approve" }))).toBe("not_found");
  });

  it("a custodian's own request goes to the other custodian; the applicant cannot decide it", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id, custodian2.id] });
    const { id, pushedTo } = await request(custodian1, item.id);
    expect(pushedTo).toEqual([custodian2.id]);
    expect(await inboxIds(custodian1)).not.toContain(id);
    expect(await refusal(c.services.bookings.decide(as(custodian1), id, { decision: "approve" }))).toBe("not_found");
    expect(await inboxIds(custodian2)).toContain(id);
    await c.services.bookings.decide(as(custodian2), id, { decision: "approve" });
    const row = await c.db
      .selectFrom("bookings")
      .select(["status", "decided_by"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: "approved", decided_by: custodian2.id });
  });

  it("the sole custodian's own request goes to the agency's admins", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id] });
    const { id, pushedTo } = await request(custodian1, item.id);
    expect(pushedTo).toEqual([admin.id]);
    expect(await inboxIds(admin)).toContain(id);
    expect(await inboxIds(sysAdmin)).not.toContain(id);
    expect(await refusal(c.services.bookings.decide(as(custodian1), id, { decision: "approve" }))).toBe("not_found");
    expect(await refusal(c.services.bookings.decide(as(sysAdmin), id, { decision: "approve" }))).toBe("not_found");
    await c.services.bookings.decide(as(admin), id, { decision: "reject", comment: "該日另有用途" });
  });

  it("the sole agency admin who is also the sole custodian: it goes to the system admins", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [admin.id] });
    const { id, pushedTo } = await request(admin, item.id);
    expect(pushedTo).toContain(sysAdmin.id);
    expect(pushedTo).not.toContain(admin.id);
    expect(await inboxIds(sysAdmin)).toContain(id);
    expect(await refusal(c.services.bookings.decide(as(admin), id, { decision: "approve" }))).toBe("not_found");
    await c.services.bookings.decide(as(sysAdmin), id, { decision: "approve" });
  });

  it("a batch or the 審核 inbox cannot decide one's own request either", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id, custodian2.id] });
    const { id } = await request(custodian1, item.id);
    const [result] = await c.services.bookings.decideBatch(as(custodian1), [id], { decision: "approve" });
    expect(result).toMatchObject({ id, ok: false });
    const [viaInbox] = await c.services.inbox.decideMany(as(custodian1), [`booking:${id}`], {
      decision: "approve",
    });
    expect(viaInbox).toMatchObject({ ok: false });
    const row = await c.db.selectFrom("bookings").select("status").where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.status).toBe("pending");
  });
});

describe("cancelling an approved booking", () => {
  it("tells both custodians by push and mail, and stays in the item's records with who and when", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id, custodian2.id] });
    const { id } = await request(user, item.id);
    await c.services.bookings.decide(as(custodian1), id, { decision: "approve" });
    await c.services.bookings.cancel(as(user), id);
    const push = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("idempotency_key", "=", `push:booking-cancel:${id}`)
      .executeTakeFirstOrThrow();
    expect((push.payload as { recipients: number[] }).recipients.sort()).toEqual([custodian1.id, custodian2.id].sort());
    const mails = await c.db
      .selectFrom("jobs")
      .select("idempotency_key")
      .where("idempotency_key", "like", `%booking-cancel:${id}:%`)
      .execute();
    expect(mails).toHaveLength(2);
    const records = await c.services.items.records(as(custodian1), "venue", item.id, {});
    const record = records.rows.find((r) => r.id === id);
    expect(record).toMatchObject({ status: "cancelled", applicantName: "一般同仁" });
    expect(record?.cancelled_at).toEqual(clock.now());
  });

  it("a pending one cancelled tells nobody and is not a record", async () => {
    const item = await makeItem(c, { agencyId, siteId, custodians: [custodian1.id] });
    const { id } = await request(user, item.id);
    await c.services.bookings.cancel(as(user), id);
    const push = await c.db
      .selectFrom("jobs")
      .select("id")
      .where("idempotency_key", "=", `push:booking-cancel:${id}`)
      .executeTakeFirst();
    expect(push).toBeUndefined();
    const records = await c.services.items.records(as(custodian1), "venue", item.id, {});
    expect(records.rows.map((r) => r.id)).not.toContain(id);
  });
});
