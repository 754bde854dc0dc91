import { type ExpressionBuilder, sql } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";

type TypesEb = ExpressionBuilder<DB & { rt: DB["repair_types"] }, "rt">;
type TicketsEb = ExpressionBuilder<DB & { t: DB["repair_tickets"] }, "t">;

const custodianOf = (eb: TypesEb, actor: Actor) =>
  eb.exists(
    eb
      .selectFrom("repair_type_custodians as rc")
      .select(sql`1`.as("one"))
      .whereRef("rc.type_id", "=", "rt.id")
      .where("rc.account_id", "=", actor.accountId),
  );

/**
 * The repair types the actor may manage (報修類型管理: edit, delete, custodians,
 * statistics), as a filter on `repair_types as rt`: a system admin all; an agency admin
 * their own agency's and what they hold; anyone else what they hold as custodian.
 */
export function manageableTypes(actor: Actor) {
  return (eb: TypesEb) => {
    const live = eb("rt.deleted_at", "is", null);
    if (actor.role === "sys_admin") return live;
    if (actor.role === "agency_admin")
      return eb.and([live, eb.or([eb("rt.agency_id", "=", actor.agencyId), custodianOf(eb, actor)])]);
    return eb.and([live, custodianOf(eb, actor)]);
  };
}

/**
 * The types the actor may report to (RPR-2), the items' whole/own/listed rule: everyone
 * (全府), the owning agency's staff, or those plus the listed agencies. Custodians and
 * managers of the type may always report to it.
 */
export function reportableTypes(actor: Actor) {
  return (eb: TypesEb) => {
    const listed = eb.exists(
      eb
        .selectFrom("repair_type_agencies as ra")
        .select(sql`1`.as("one"))
        .whereRef("ra.type_id", "=", "rt.id")
        .where("ra.agency_id", "=", actor.agencyId),
    );
    return eb.and([
      eb("rt.deleted_at", "is", null),
      eb.or([
        eb("rt.report_scope", "=", "all"),
        eb("rt.agency_id", "=", actor.agencyId),
        eb.and([eb("rt.report_scope", "=", "listed"), listed]),
        custodianOf(eb, actor),
        ...(actor.role === "sys_admin" ? [eb.lit(true)] : []),
      ]),
    ]);
  };
}

/** Tickets of the types the actor handles as vendor staff (維修人員), as a filter on `repair_tickets as t`. */
export function handledBy(actor: Actor) {
  return (eb: TicketsEb) =>
    eb.exists(
      eb
        .selectFrom("repair_type_vendors as rv")
        .innerJoin("repair_types as vt", "vt.id", "rv.type_id")
        .select(sql`1`.as("one"))
        .whereRef("rv.type_id", "=", "t.type_id")
        .where("rv.account_id", "=", actor.accountId)
        .where("vt.deleted_at", "is", null),
    );
}

/**
 * Who may open one ticket: its reporter, the vendor staff of its type, and those who
 * manage its type (custodians, the owning agency's admins, system admins). Anyone else: 404.
 */
export function ticketVisibleTo(actor: Actor) {
  return (eb: TicketsEb) => {
    const manages = eb.exists(
      eb
        .selectFrom("repair_types as rt")
        .select(sql`1`.as("one"))
        .whereRef("rt.id", "=", "t.type_id")
        .where((e) => manageableTypes(actor)(e as unknown as TypesEb)),
    );
    return eb.or([eb("t.reporter_id", "=", actor.accountId), handledBy(actor)(eb), manages]);
  };
}

/** Only agency admins (their own agency) and system admins create types. */
export const canCreateType = (actor: Actor) => actor.role === "sys_admin" || actor.role === "agency_admin";
export const mayOwnAgency = (actor: Actor, agencyId: number) =>
  actor.role === "sys_admin" || (actor.role === "agency_admin" && actor.agencyId === agencyId);
