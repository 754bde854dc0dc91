import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { parseInput } from "../validation.js";
import type { RepairsDeps } from "./deps.js";
import type { RepairNotices } from "./notify.js";
import { cleanPhotos, insertPhotos, tooManyPhotos } from "./photos.js";
import { MAX_PHOTOS, type ReportInput, reportTicket, type ResubmitInput, resubmitTicket } from "./schemas.js";
import { reportableTypes } from "./scope.js";
import { lockedTicket } from "./tickets.js";

const refused = (fields: Record<string, string>) => new DomainError("invalid", "請修正標示的欄位。", fields);

/** 所在地點 must be a live site. */
async function checkSite(trx: Database, siteId: number) {
  const site = await trx
    .selectFrom("sites")
    .select("id")
    .where("id", "=", siteId)
    .where("active", "=", true)
    .executeTakeFirst();
  if (!site) throw refused({ siteId: "請選擇所在地點" });
}

/** RPR-2 我要報修, and the reporter's 修改後重新送出 of a returned ticket. */
export function createReporting(deps: RepairsDeps, notices: RepairNotices) {
  const { db, clock } = deps;

  /** What the report form offers: the types I may report to, sites, my unit and phone. */
  async function reportOptions(actor: Actor) {
    const [types, sites, me] = await Promise.all([
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
    return { types, sites, unitName: me.unitName, phone };
  }

  /** A type the actor may report to, or a message beside 報修類型. */
  async function reportableType(actor: Actor, typeId: number) {
    const type = await db
      .selectFrom("repair_types as rt")
      .select(["rt.id", "rt.name"])
      .where("rt.id", "=", typeId)
      .where(reportableTypes(actor))
      .executeTakeFirst();
    if (!type) throw refused({ typeId: "您無法向這個報修類型報修，請重新選擇" });
    return type;
  }

  /** RPR-2: a new ticket, its photos, an audit row and word to the type's vendor staff, in one transaction. */
  async function report(actor: Actor, raw: ReportInput, photos: Uint8Array[] = []): Promise<{ id: number }> {
    const v = parseInput(reportTicket, raw);
    const checked = await cleanPhotos(photos);
    const type = await reportableType(actor, v.typeId);
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
      await notices.notifyVendors(trx, type, row.id, actor, v.description, now, "new");
      return { id: row.id };
    });
  }

  /** The reporter edits a returned ticket and sends it again (待處理); photos may be added up to 3. */
  async function resubmit(actor: Actor, ticketId: unknown, raw: ResubmitInput, photos: Uint8Array[] = []) {
    const v = parseInput(resubmitTicket, raw);
    const checked = await cleanPhotos(photos);
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
      await notices.notifyVendors(
        trx,
        { id: t.type_id, name: t.typeName },
        t.id,
        actor,
        v.description,
        now,
        "resubmit",
      );
    });
  }

  return { reportOptions, report, resubmit };
}
