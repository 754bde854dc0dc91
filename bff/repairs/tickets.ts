import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { parseId, parseInput } from "../validation.js";
import type { RepairsDeps } from "./deps.js";
import { queueQuery, type QueueQuery } from "./schemas.js";
import { handledBy, ticketVisibleTo } from "./scope.js";

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

const ticketColumns = [
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
] as const;

/** A vendor's answer to a ticket someone else handled or returned first. */
export const notPending = () =>
  new DomainError("conflict", "這筆報修已不是待處理狀態（可能已由其他維修人員處理或退回），請重新整理頁面。");

/** A ticket locked for update, when the actor is its reporter (`reporter`) or handles its type (`vendor`); else 404. */
export async function lockedTicket(trx: Tx, actor: Actor, ticketId: unknown, as: "reporter" | "vendor") {
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

/** Does the actor handle any live type (維修人員)? */
async function isVendor(db: Database, actor: Actor) {
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

/** What reporters and vendor staff read: their lists, one ticket, the home page's counts. */
export function createTicketQueries(deps: RepairsDeps) {
  const { db } = deps;

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
  async function queue(actor: Actor, raw: QueueQuery & { limit?: number } = {}) {
    const { status } = parseInput(queueQuery, raw);
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
      .limit(Math.min(raw.limit ?? 100, 500))
      .execute();
    return { status, rows };
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
      .select(ticketColumns)
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
    if (Number(waiting.n) > 0 || (await isVendor(db, actor)))
      counts.push({
        key: "repairs-waiting",
        label: "待我處理的報修",
        count: Number(waiting.n),
        href: "/repairs/handle",
      });
    return counts;
  }

  return { mine, queue, ticket, homeCounts, isVendor: (actor: Actor) => isVendor(db, actor) };
}
