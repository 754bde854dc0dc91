import type { Database, Tx } from "../../db/index.js";
import type { RepairStatus } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { withoutMetadata } from "../items/image-metadata.js";
import { IMAGE_MAX_BYTES, IMAGE_REFUSED, type ImageType, sniffImage } from "../items/images.js";
import { queueMail } from "../notifications/mail.js";
import type { Clock } from "../ports/clock.js";
import { queuePush } from "../push/notify.js";
import { parseTaipeiLocal } from "../time.js";
import { createRepairStats } from "./stats.js";
import { createRepairTypes } from "./types.js";
import { handledBy, reportableTypes, ticketVisibleTo } from "./scope.js";
import { type HandleInput, MAX_PHOTOS, parseId, textField, type TicketInput, validateTicket } from "./validate.js";
import { inTransaction } from "../../db/transaction.js";

export const repairStatusLabels: Record<RepairStatus, string> = {
  pending: "待處理",
  processed: "已處理",
  returned: "已退回",
};

type Photo = { type: ImageType; bytes: Uint8Array };

const tooManyPhotos = () =>
  new DomainError("invalid", `每筆報修最多 ${MAX_PHOTOS} 張照片。`, { photos: `最多 ${MAX_PHOTOS} 張照片` });

/**
 * Every photo sniffed by its bytes and at most 5 MB, at most `room` of them, then stored
 * without EXIF/GPS whatever its size (issue 14, bff/items/image-metadata.ts); else one zh-TW
 * message. Re-encoding takes a moment: callers do it before their transaction opens.
 */
async function cleanPhotos(photos: Uint8Array[], room: number): Promise<Photo[]> {
  const given = photos.filter((p) => p.length > 0);
  if (given.length > room) throw tooManyPhotos();
  const out: Photo[] = [];
  for (const bytes of given) {
    const type = bytes.length <= IMAGE_MAX_BYTES ? sniffImage(bytes) : null;
    const clean = type ? await withoutMetadata(bytes, type) : null;
    if (!type || !clean) throw new DomainError("invalid", IMAGE_REFUSED, { photos: IMAGE_REFUSED });
    out.push({ type, bytes: clean });
  }
  return out;
}

/**
 * 線上報修 (RPR-1..4): repair types, reporting from a phone, handling by vendor staff,
 * returns, statistics and the Excel export. Every function takes the actor first; what
 * is outside their scope is not found (404).
 */
export function createRepairsService(deps: {
  db: Database;
  clock: Clock;
  officialMailDomain: string;
  baseUrl?: string;
}) {
  const { db, clock } = deps;
  const types = createRepairTypes(deps);
  const stats = createRepairStats(deps);

  // ---- Reporting (RPR-2) ----

  /** What the report form offers: the types I may report to, sites, my unit and phone. */
  async function reportOptions(actor: Actor) {
    const [typeRows, sites, me] = await Promise.all([
      db
        .selectFrom("repair_types as rt")
        .innerJoin("org_nodes as ag", "ag.id", "rt.agency_id")
        .select(["rt.id", "rt.name", "ag.name as agencyName"])
        .where(reportableTypes(actor))
        .orderBy("rt.name")
        .orderBy("rt.id")
        .limit(500)
        .execute(),
      db.selectFrom("sites").select(["id", "name"]).where("active", "=", true).orderBy("sort").orderBy("id").execute(),
      db
        .selectFrom("accounts as a")
        .innerJoin("org_nodes as u", "u.id", "a.unit_id")
        .select(["u.name as unitName", "a.office_phone", "a.office_ext"])
        .where("a.id", "=", actor.accountId)
        .executeTakeFirstOrThrow(),
    ]);
    const phone = me.office_ext ? `${me.office_phone}#${me.office_ext}` : me.office_phone;
    return { types: typeRows, sites, unitName: me.unitName, phone };
  }

  async function checkSite(trx: Database, siteId: number) {
    const site = await trx
      .selectFrom("sites")
      .select("id")
      .where("id", "=", siteId)
      .where("active", "=", true)
      .executeTakeFirst();
    if (!site) throw new DomainError("invalid", "請修正標示的欄位。", { siteId: "請選擇所在地點" });
  }

  async function insertPhotos(trx: Tx, ticketId: number, photos: Photo[], now: Date, startSort = 0) {
    for (const [i, p] of photos.entries())
      await trx
        .insertInto("repair_photos")
        .values({
          ticket_id: ticketId,
          content_type: p.type,
          bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength),
          sort: startSort + i + 1,
          created_at: now,
        })
        .execute();
  }

  /** RPR-2: a new ticket, its photos, an audit row and word to the type's vendor staff, in one transaction. */
  async function report(actor: Actor, input: TicketInput, photos: Uint8Array[] = []): Promise<{ id: number }> {
    const fields: Record<string, string> = {};
    if (parseId(input.typeId) === null) fields.typeId = "請選擇報修類型";
    const v = validateTicket({ ...input, typeId: input.typeId ?? "" }, fields);
    const checked = await cleanPhotos(photos, MAX_PHOTOS);
    const type = await db
      .selectFrom("repair_types as rt")
      .select(["rt.id", "rt.name"])
      .where("rt.id", "=", v.typeId!)
      .where(reportableTypes(actor))
      .executeTakeFirst();
    if (!type)
      throw new DomainError("invalid", "請修正標示的欄位。", { typeId: "您無法向這個報修類型報修，請重新選擇" });
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      await checkSite(trx, v.siteId);
      const row = await trx
        .insertInto("repair_tickets")
        .values({
          type_id: type.id,
          reporter_id: actor.accountId,
          unit_id: actor.unitId,
          phone: v.phone,
          site_id: v.siteId,
          floor: v.floor,
          description: v.description,
          status: "pending",
          created_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await insertPhotos(trx, row.id, checked, now);
      await writeAudit(trx, actor, now, {
        action: "repair.report",
        targetType: "repair_ticket",
        targetId: row.id,
        detail: { typeId: type.id, photos: checked.length },
      });
      await notifyVendors(trx, type, row.id, actor, v.description, now, "new");
      return { id: row.id };
    });
  }

  async function notifyVendors(
    trx: Tx,
    type: { id: number; name: string },
    ticketId: number,
    actor: Actor,
    description: string,
    now: Date,
    why: "new" | "resubmit",
  ) {
    const vendors = await trx
      .selectFrom("repair_type_vendors")
      .select("account_id")
      .where("type_id", "=", type.id)
      .execute();
    const ids = vendors.map((r) => r.account_id);
    const title = why === "new" ? `新報修待處理：${type.name}` : `報修已重新送出：${type.name}`;
    const key = `repair-${why}:${ticketId}:${now.getTime()}`;
    await queuePush(
      trx,
      now,
      ids,
      {
        title,
        body: `${actor.name}：${description.slice(0, 80)}`,
        url: `/repairs/${ticketId}`,
        tag: `repair-${ticketId}`,
      },
      { ttl: 86_400, urgency: "high" },
      key,
    );
    await mailEach(
      trx,
      now,
      ids,
      title,
      key,
      () => `${actor.name} 報修「${type.name}」：\n${description}\n請至公務入口網「報修」頁處理。${link(ticketId)}`,
    );
  }

  /** The same subject to each account's mail address; the text may differ by account. */
  async function mailEach(
    trx: Tx,
    now: Date,
    ids: number[],
    title: string,
    key: string,
    text: (accountId: number) => string,
  ) {
    for (const [accountId, to] of await mailAddresses(trx, ids, deps.officialMailDomain))
      await queueMail(
        trx,
        now,
        { to, subject: `【公務入口網】${title}`, text: text(accountId) },
        `${key}:${accountId}`,
      );
  }

  const link = (ticketId: number) => (deps.baseUrl ? `\n${deps.baseUrl}/repairs/${ticketId}` : "");

  /** The reporter and the type's custodians hear of a handling or a return (mail and push). */
  async function notifyOutcome(
    trx: Tx,
    t: { id: number; type_id: number; typeName: string; reporter_id: number },
    outcome: "processed" | "returned",
    detail: string,
    now: Date,
  ) {
    const custodians = await trx
      .selectFrom("repair_type_custodians")
      .select("account_id")
      .where("type_id", "=", t.type_id)
      .execute();
    const ids = [...new Set([t.reporter_id, ...custodians.map((c) => c.account_id)])];
    const title = outcome === "processed" ? `報修已處理：${t.typeName}` : `報修已退回：${t.typeName}`;
    const key = `repair-${outcome}:${t.id}:${now.getTime()}`;
    await queuePush(
      trx,
      now,
      ids,
      { title, body: detail.slice(0, 120), url: `/repairs/${t.id}`, tag: `repair-${t.id}` },
      { ttl: 86_400, urgency: "normal" },
      key,
    );
    const resend = (accountId: number) =>
      outcome === "returned" && accountId === t.reporter_id ? "\n請至公務入口網「報修」頁修改後重新送出。" : "";
    await mailEach(trx, now, ids, title, key, (accountId) => `${title}\n${detail}${resend(accountId)}${link(t.id)}`);
  }

  const listColumns = [
    "t.id",
    "t.status",
    "t.description",
    "t.floor",
    "t.return_count",
    "t.return_reason",
    "t.created_at",
    "t.handled_at",
    "rt.name as typeName",
    "s.name as siteName",
  ] as const;

  /** 我的報修: my tickets, newest first. */
  async function mine(actor: Actor, limit = 100) {
    return db
      .selectFrom("repair_tickets as t")
      .innerJoin("repair_types as rt", "rt.id", "t.type_id")
      .innerJoin("sites as s", "s.id", "t.site_id")
      .select(listColumns)
      .where("t.reporter_id", "=", actor.accountId)
      .orderBy("t.created_at", "desc")
      .orderBy("t.id", "desc")
      .limit(Math.min(limit, 500))
      .execute();
  }

  /** 報修處理: the tickets of the types I handle as vendor staff; 待處理 first by default. */
  async function queue(actor: Actor, opts: { status?: unknown; limit?: number } = {}) {
    const status: RepairStatus | "all" =
      opts.status === "processed" || opts.status === "returned" || opts.status === "all" ? opts.status : "pending";
    let q = db
      .selectFrom("repair_tickets as t")
      .innerJoin("repair_types as rt", "rt.id", "t.type_id")
      .innerJoin("sites as s", "s.id", "t.site_id")
      .innerJoin("accounts as r", "r.id", "t.reporter_id")
      .innerJoin("org_nodes as u", "u.id", "t.unit_id")
      .select([...listColumns, "r.name as reporterName", "u.name as unitName"])
      .where(handledBy(actor));
    if (status !== "all") q = q.where("t.status", "=", status);
    const rows = await q
      .orderBy("t.created_at", status === "pending" ? "asc" : "desc")
      .orderBy("t.id")
      .limit(Math.min(opts.limit ?? 100, 500))
      .execute();
    return { status, rows };
  }

  /** Does the actor handle any type (維修人員)? */
  async function isVendor(actor: Actor) {
    const row = await db
      .selectFrom("repair_type_vendors as rv")
      .innerJoin("repair_types as rt", "rt.id", "rv.type_id")
      .select("rv.type_id")
      .where("rv.account_id", "=", actor.accountId)
      .where("rt.deleted_at", "is", null)
      .limit(1)
      .executeTakeFirst();
    return Boolean(row);
  }

  /** One ticket as the actor may see it, with what they may do, or 404. */
  async function ticket(actor: Actor, ticketId: unknown) {
    const id = parseId(ticketId);
    if (id === null) throw notFound();
    const row = await db
      .selectFrom("repair_tickets as t")
      .innerJoin("repair_types as rt", "rt.id", "t.type_id")
      .innerJoin("sites as s", "s.id", "t.site_id")
      .innerJoin("accounts as r", "r.id", "t.reporter_id")
      .innerJoin("org_nodes as u", "u.id", "t.unit_id")
      .select([
        "t.id",
        "t.type_id",
        "t.reporter_id",
        "t.status",
        "t.phone",
        "t.site_id",
        "t.floor",
        "t.description",
        "t.return_count",
        "t.return_reason",
        "t.handler_name",
        "t.handled_at",
        "t.result",
        "t.category",
        "t.created_at",
        "t.updated_at",
        "rt.name as typeName",
        "rt.categories",
        "rt.vendor_name as vendorName",
        "rt.vendor_phone as vendorPhone",
        "s.name as siteName",
        "r.name as reporterName",
        "u.name as unitName",
      ])
      .select((eb) => handledBy(actor)(eb).as("isVendor"))
      .where("t.id", "=", id)
      .where(ticketVisibleTo(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    const photos = await db
      .selectFrom("repair_photos")
      .select(["id", "content_type"])
      .where("ticket_id", "=", row.id)
      .orderBy("sort")
      .orderBy("id")
      .execute();
    const isReporter = row.reporter_id === actor.accountId;
    return {
      ticket: row,
      photos,
      isReporter,
      isVendor: Boolean(row.isVendor),
      canHandle: Boolean(row.isVendor) && row.status === "pending",
      canEdit: isReporter && row.status === "returned",
    };
  }

  /** A ticket locked for update, when the actor is its reporter (`reporter`) or handles its type (`vendor`). */
  async function lockedTicket(trx: Tx, actor: Actor, ticketId: unknown, as: "reporter" | "vendor") {
    const id = parseId(ticketId);
    if (id === null) throw notFound();
    let q = trx
      .selectFrom("repair_tickets as t")
      .innerJoin("repair_types as rt", "rt.id", "t.type_id")
      .select([
        "t.id",
        "t.type_id",
        "t.status",
        "t.reporter_id",
        "t.return_count",
        "rt.name as typeName",
        "rt.categories",
      ])
      .where("t.id", "=", id)
      .forUpdate("t");
    q = as === "reporter" ? q.where("t.reporter_id", "=", actor.accountId) : q.where(handledBy(actor));
    const row = await q.executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  const notPending = () =>
    new DomainError("conflict", "這筆報修已不是待處理狀態（可能已由其他維修人員處理或退回），請重新整理頁面。");

  /** RPR-3: vendor staff record handler, time, result and category; the ticket becomes 已處理. */
  async function handle(actor: Actor, ticketId: unknown, input: HandleInput): Promise<void> {
    const now = clock.now();
    const f: Record<string, string> = {};
    const handlerName = textField(f, "handlerName", input.handlerName, { label: "處理人員", max: 50, required: true });
    const handledAt = parseTaipeiLocal(input.handledAt);
    if (handledAt === null) f.handledAt = "請填寫處理時間";
    else if (handledAt.getTime() > now.getTime() + 5 * 60_000) f.handledAt = "處理時間不可晚於現在";
    const result = textField(f, "result", input.result, {
      label: "處理結果",
      max: 1000,
      required: true,
      multiline: true,
    });
    const category = textField(f, "category", input.category, { label: "分類", max: 50, required: true });
    await inTransaction(db, async (trx) => {
      const t = await lockedTicket(trx, actor, ticketId, "vendor");
      if (category && !f.category && t.categories.length > 0 && !t.categories.includes(category))
        f.category = "請從清單選擇分類";
      if (Object.keys(f).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", f);
      if (t.status !== "pending") throw notPending();
      await trx
        .updateTable("repair_tickets")
        .set({
          status: "processed",
          handler_name: handlerName!,
          handled_at: handledAt!,
          result: result!,
          category: category!,
          handled_by: actor.accountId,
          updated_at: now,
        })
        .where("id", "=", t.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "repair.handle",
        targetType: "repair_ticket",
        targetId: t.id,
        detail: { category },
      });
      await notifyOutcome(trx, t, "processed", `處理人員：${handlerName}\n處理結果：${result}`, now);
    });
  }

  /** RPR-3 退回: back to the reporter with a reason; the return counter grows. */
  async function returnTicket(actor: Actor, ticketId: unknown, input: { reason?: unknown }): Promise<void> {
    const f: Record<string, string> = {};
    const reason = textField(f, "reason", input.reason, {
      label: "退回原因",
      max: 500,
      required: true,
      multiline: true,
    });
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const t = await lockedTicket(trx, actor, ticketId, "vendor");
      if (Object.keys(f).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", f);
      if (t.status !== "pending") throw notPending();
      await trx
        .updateTable("repair_tickets")
        .set((eb) => ({
          status: "returned",
          return_count: eb("return_count", "+", 1),
          return_reason: reason!,
          updated_at: now,
        }))
        .where("id", "=", t.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "repair.return",
        targetType: "repair_ticket",
        targetId: t.id,
        detail: { reason, returns: t.return_count + 1 },
      });
      await notifyOutcome(trx, t, "returned", `退回原因：${reason}`, now);
    });
  }

  /** The reporter edits a returned ticket and sends it again (待處理); photos may be added up to 3. */
  async function resubmit(actor: Actor, ticketId: unknown, input: TicketInput, photos: Uint8Array[] = []) {
    const v = validateTicket({
      phone: input.phone,
      siteId: input.siteId,
      floor: input.floor,
      description: input.description,
    });
    const checked = await cleanPhotos(photos, MAX_PHOTOS);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const t = await lockedTicket(trx, actor, ticketId, "reporter");
      if (t.status !== "returned") throw new DomainError("conflict", "只有已退回的報修可以修改後重新送出。");
      const existing = await trx
        .selectFrom("repair_photos")
        .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.max("sort").as("last")])
        .where("ticket_id", "=", t.id)
        .executeTakeFirstOrThrow();
      if (checked.length > MAX_PHOTOS - Number(existing.n)) throw tooManyPhotos();
      await checkSite(trx, v.siteId);
      await trx
        .updateTable("repair_tickets")
        .set({
          status: "pending",
          phone: v.phone,
          site_id: v.siteId,
          floor: v.floor,
          description: v.description,
          updated_at: now,
        })
        .where("id", "=", t.id)
        .execute();
      await insertPhotos(trx, t.id, checked, now, Number(existing.last ?? 0));
      await writeAudit(trx, actor, now, {
        action: "repair.resubmit",
        targetType: "repair_ticket",
        targetId: t.id,
        detail: { photos: checked.length },
      });
      await notifyVendors(trx, { id: t.type_id, name: t.typeName }, t.id, actor, v.description, now, "resubmit");
    });
  }

  /** A ticket photo's bytes, for those who may open the ticket. */
  async function photo(actor: Actor, photoId: unknown) {
    const id = parseId(photoId);
    if (id === null) throw notFound();
    const row = await db
      .selectFrom("repair_photos as p")
      .innerJoin("repair_tickets as t", "t.id", "p.ticket_id")
      .select(["p.content_type", "p.bytes"])
      .where("p.id", "=", id)
      .where(ticketVisibleTo(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return { contentType: row.content_type, bytes: row.bytes };
  }

  /** PRT-1 counts: my open tickets; for vendor staff, the tickets waiting for them. */
  async function homeCounts(_db: Database, actor: Actor) {
    const [open, waiting] = await Promise.all([
      db
        .selectFrom("repair_tickets")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("reporter_id", "=", actor.accountId)
        .where("status", "in", ["pending", "returned"])
        .executeTakeFirstOrThrow(),
      db
        .selectFrom("repair_tickets as t")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("t.status", "=", "pending")
        .where(handledBy(actor))
        .executeTakeFirstOrThrow(),
    ]);
    const counts = [{ key: "repairs-mine", label: "我的報修（未結案）", count: Number(open.n), href: "/repairs" }];
    if (Number(waiting.n) > 0 || (await isVendor(actor)))
      counts.push({
        key: "repairs-waiting",
        label: "待我處理的報修",
        count: Number(waiting.n),
        href: "/repairs/handle",
      });
    return counts;
  }

  return {
    ...types,
    types: types.list,
    reportOptions,
    report,
    mine,
    queue,
    isVendor,
    ticket,
    handle,
    returnTicket,
    resubmit,
    photo,
    homeCounts,
    statistics: stats.statistics,
    exportTickets: stats.exportTickets,
  };
}

export type RepairsService = ReturnType<typeof createRepairsService>;
