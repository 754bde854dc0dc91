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
import { startPushReceiver, type TestDevice } from "../helpers/push-receiver.js";

const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let receiver: Awaited<ReturnType<typeof startPushReceiver>>;
let custodian1: MadeAccount, custodian2: MadeAccount, applicant: MadeAccount, bystander: MadeAccount;
const actor = new Map<MadeAccount, Actor>();
const devices = new Map<MadeAccount, TestDevice>();
let itemId: number;
let slot = 0;

beforeAll(async () => {
  // The receiver is on 127.0.0.1: the test-only loophole of the push policy (ADR 0024).
  c = await testContainer({ clock, env: { PUSH_ALLOW_LOOPBACK_FOR_TESTS: "1" } });
  receiver = await startPushReceiver(() => c.services.push.publicKey);
  const agency = await makeAgency(c);
  const unit = (await makeUnit(c, agency.id)).id;
  custodian1 = await makeAccount(c, { unitId: unit, name: "保管一" });
  custodian2 = await makeAccount(c, { unitId: unit, name: "保管二" });
  applicant = await makeAccount(c, { unitId: unit, name: "申請人" });
  bystander = await makeAccount(c, { unitId: unit, name: "路人" });
  for (const a of [custodian1, custodian2, applicant, bystander]) {
    actor.set(a, (await signInAs(c, a)).actor);
    const d = receiver.device();
    devices.set(a, d);
    await c.services.push.subscribe(actor.get(a)!, { endpoint: d.endpoint, keys: d.keys, label: "測試手機" });
  }
  itemId = (
    await makeItem(c, {
      agencyId: agency.id,
      siteId: (await makeSite(c)).id,
      name: "簡報室",
      custodians: [custodian1.id, custodian2.id],
    })
  ).id;
});
afterAll(async () => {
  await receiver?.close();
  await c?.close();
});

/** A new booking request in its own hour tomorrow; returns its id. */
async function newRequest(): Promise<number> {
  const n = slot++;
  const h = String(8 + (n % 9)).padStart(2, "0");
  const day = `2026-12-${String(1 + Math.floor(n / 9)).padStart(2, "0")}`;
  const { id } = await c.services.bookings.request(actor.get(applicant)!, {
    itemId,
    startsAt: `${day}T${h}:00`,
    endsAt: `${day}T${h}:30`,
    reason: "週會",
    attendees: "6",
  });
  await c.worker.drain();
  return id;
}

const tokenOf = (who: MadeAccount, bookingId: number) =>
  receiver.for(devices.get(who)!.endpoint).find((r) => r.payload.decision?.targetId === bookingId)?.payload.decision
    .token as string;
const status = async (id: number) =>
  await c.db
    .selectFrom("bookings")
    .select(["status", "decision_comment"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();

describe("push delivery (NTF-1, NTF-4)", () => {
  it("a new request reaches both custodians, verified and decrypted, with actions; nobody else", async () => {
    const before = receiver.received.length;
    const id = await newRequest();
    const got = receiver.received.slice(before);
    expect(got.map((r) => r.endpoint).sort()).toEqual(
      [devices.get(custodian1)!.endpoint, devices.get(custodian2)!.endpoint].sort(),
    );
    for (const r of got) {
      expect(r.payload).toMatchObject({
        title: "場地借用申請待審核",
        url: `/reviews?focus=${id}`,
        actions: [
          { action: "approve", title: "核准" },
          { action: "reject", title: "駁回" },
        ],
        decision: { endpoint: "/api/push/decisions", targetId: id, kind: "booking" },
      });
      expect(r.payload.body).toContain("申請人：簡報室");
      expect(r.payload.badge).toBe(1); // the app-icon badge: one request waits for each custodian
      expect(r.urgency).toBe("high");
      expect(r.ttl).toBe("86400");
      expect(r.vapidSubject).toBe("mailto:portal-admin@mail.tainan.gov.tw");
    }
    expect(tokenOf(custodian1, id)).not.toBe(tokenOf(custodian2, id)); // bound to each reviewer
    expect(receiver.rejected).toEqual([]);
  });

  it("a decision reaches the applicant only, and opens 我的申請", async () => {
    const id = await newRequest();
    const before = receiver.received.length;
    await c.services.bookings.decide(actor.get(custodian1)!, id, { decision: "approve" });
    await c.worker.drain();
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      endpoint: devices.get(applicant)!.endpoint,
      payload: { title: "借用申請已核准", url: "/book/mine" },
    });
  });

  it("a 410 from the push service removes that subscription", async () => {
    const d = receiver.device();
    const { id } = await c.services.push.subscribe(actor.get(bystander)!, { endpoint: d.endpoint, keys: d.keys });
    receiver.respond(d.endpoint, [410]);
    await c.services.push.sendTest(actor.get(bystander)!);
    await c.worker.drain();
    expect(await c.db.selectFrom("push_subscriptions").select("id").where("id", "=", id).execute()).toHaveLength(0);
    expect(
      await c.db.selectFrom("push_subscriptions").select("id").where("account_id", "=", bystander.id).execute(),
    ).toHaveLength(1);
  });

  it("a 500 is retried later and then delivered", async () => {
    const d = receiver.device();
    await c.services.push.subscribe(actor.get(bystander)!, { endpoint: d.endpoint, keys: d.keys });
    receiver.respond(d.endpoint, [500]);
    clock.advance(1000);
    await c.services.push.sendTest(actor.get(bystander)!);
    await c.worker.drain();
    expect(receiver.for(d.endpoint)).toHaveLength(0);
    const retry = await c.db
      .selectFrom("jobs")
      .selectAll()
      .where("kind", "=", "push.deliver")
      .where("state", "=", "pending")
      .executeTakeFirstOrThrow();
    clock.advance(10_000);
    await c.worker.drain();
    expect(receiver.for(d.endpoint)).toHaveLength(1);
    expect(
      (await c.db.selectFrom("jobs").select("state").where("id", "=", retry.id).executeTakeFirstOrThrow()).state,
    ).toBe("done");
  });

  it("refuses a malformed subscription", async () => {
    await expect(
      c.services.push.subscribe(actor.get(bystander)!, {
        endpoint: "javascript:alert(1)",
        keys: { p256dh: "x", auth: "y" },
      }),
    ).rejects.toMatchObject({
      code: "invalid",
    });
  });
});

describe("deciding from the notification (BKG-5)", () => {
  const decide = (token: unknown, decision: string, targetId?: number) =>
    c.services.pushDecisions({ token, decision, targetId });

  it("approves with the token alone, and says so", async () => {
    const id = await newRequest();
    const r = await decide(tokenOf(custodian1, id), "approve", id);
    expect(r).toMatchObject({ ok: true, title: "已核准：簡報室", url: `/reviews?focus=${id}` });
    expect(await status(id)).toMatchObject({ status: "approved" });
  });

  it("rejecting records the default comment", async () => {
    const id = await newRequest();
    expect((await decide(tokenOf(custodian2, id), "reject", id)).ok).toBe(true);
    expect(await status(id)).toEqual({ status: "rejected", decision_comment: "經審核未能同意借用。" });
    // …which the reviewer who decided edits later; nobody else can, and it cannot go blank.
    const edit = (who: MadeAccount, comment: string) =>
      c.services.bookings.editDecisionComment(actor.get(who)!, id, { comment });
    await expect(edit(custodian1, "我來改")).rejects.toMatchObject({ code: "conflict" });
    await expect(edit(custodian2, "  ")).rejects.toMatchObject({
      code: "invalid",
      fields: { comment: "請填寫駁回原因" },
    });
    await expect(edit(applicant, "x")).rejects.toMatchObject({ code: "not_found" });
    await edit(custodian2, "該時段已保留給市府記者會，請改期。");
    expect(await status(id)).toEqual({ status: "rejected", decision_comment: "該時段已保留給市府記者會，請改期。" });
  });

  it("refuses a reused token", async () => {
    const id = await newRequest();
    const token = tokenOf(custodian1, id);
    await decide(token, "approve", id);
    const again = await decide(token, "reject", id);
    expect(again).toMatchObject({ ok: false, body: "此通知的審核按鈕已使用過，請開啟申請頁面查看結果。" });
    expect((await status(id)).status).toBe("approved");
  });

  it("refuses a token used for another request", async () => {
    const id = await newRequest();
    const other = await newRequest();
    const r = await decide(tokenOf(custodian1, id), "approve", other);
    expect(r).toMatchObject({ ok: false, body: "審核連結與申請不符，請開啟申請頁面審核。" });
    expect((await status(id)).status).toBe("pending");
    expect((await status(other)).status).toBe("pending");
    // A refusal changes nothing, the token included: on its own request it still works.
    expect((await decide(tokenOf(custodian1, id), "approve", id)).ok).toBe(true);
  });

  it("refuses an expired token", async () => {
    const id = await newRequest();
    const token = tokenOf(custodian1, id);
    clock.advance(3 * 86_400_000 + 1000);
    try {
      expect(await decide(token, "approve", id)).toMatchObject({
        ok: false,
        body: "審核連結已過期，請開啟申請頁面審核。",
      });
    } finally {
      clock.advance(-(3 * 86_400_000 + 1000));
    }
    expect((await status(id)).status).toBe("pending");
  });

  it("refuses when the other custodian already decided", async () => {
    const id = await newRequest();
    await c.services.bookings.decide(actor.get(custodian2)!, id, { decision: "reject", comment: "另有安排" });
    const r = await decide(tokenOf(custodian1, id), "approve", id);
    expect(r).toMatchObject({ ok: false, body: "此申請已是「已駁回」，不需再審核。" });
    expect(await status(id)).toEqual({ status: "rejected", decision_comment: "另有安排" });
  });

  it("checks the reviewer again: a reviewer who lost custody or was disabled cannot decide", async () => {
    const id = await newRequest();
    await c.db
      .deleteFrom("item_custodians")
      .where("item_id", "=", itemId)
      .where("account_id", "=", custodian2.id)
      .execute();
    try {
      expect(await decide(tokenOf(custodian2, id), "approve", id)).toMatchObject({
        ok: false,
        body: "您已不是此物品的保管人，或申請已不存在。",
      });
    } finally {
      await c.db
        .insertInto("item_custodians")
        .values({ item_id: itemId, slot: 2, account_id: custodian2.id })
        .execute();
    }
    const id2 = await newRequest();
    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", custodian1.id).execute();
    try {
      expect(await decide(tokenOf(custodian1, id2), "approve", id2)).toMatchObject({
        ok: false,
        body: "您的帳號目前無法審核，請聯絡機關管理者。",
      });
    } finally {
      await c.db.updateTable("accounts").set({ status: "enabled" }).where("id", "=", custodian1.id).execute();
    }
    expect((await status(id)).status).toBe("pending");
    expect((await status(id2)).status).toBe("pending");
  });

  it("a token acts only as the reviewer it was issued to", async () => {
    const id = await newRequest();
    await decide(tokenOf(custodian2, id), "approve", id);
    const row = await c.db.selectFrom("bookings").select("decided_by").where("id", "=", id).executeTakeFirstOrThrow();
    expect(row.decided_by).toBe(custodian2.id);
    // custodian1's own token for the same request is now refused: already decided, nothing changes.
    expect(await decide(tokenOf(custodian1, id), "reject", id)).toMatchObject({
      ok: false,
      body: "此申請已是「已核准」，不需再審核。",
    });
    expect((await status(id)).status).toBe("approved");
  });

  it("refuses garbage without touching anything", async () => {
    for (const t of [undefined, "", "x", "a".repeat(5000), "' OR 1=1 --", { $ne: null }]) {
      expect((await decide(t, "approve")).ok).toBe(false);
    }
    expect((await decide("A".repeat(43), "maybe")).ok).toBe(false);
  });
});

describe("push devices", () => {
  it("renewing a device's subscription at the device limit is allowed", async () => {
    const agency = await makeAgency(c);
    const who = await makeAccount(c, { unitId: (await makeUnit(c, agency.id)).id });
    const a = (await signInAs(c, who)).actor;
    const ds = Array.from({ length: 10 }, () => receiver.device());
    for (const d of ds) await c.services.push.subscribe(a, { endpoint: d.endpoint, keys: d.keys });
    await expect(c.services.push.subscribe(a, { endpoint: ds[3]!.endpoint, keys: ds[3]!.keys })).resolves.toBeTruthy();
    const extra = receiver.device();
    await expect(c.services.push.subscribe(a, { endpoint: extra.endpoint, keys: extra.keys })).rejects.toMatchObject({
      code: "invalid",
    });
  });
});
