import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { type EnqueueOptions, enqueue } from "../../bff/jobs/queue.js";
import type { Database } from "../../db/index.js";
import type { AccountStatus, Role } from "../../db/schema.js";

/** Test data is made by the test: these build it with names no seed uses. */
export const TEST_PASSWORD = "Test#Passw0rd-2026";

const suffix = () => randomBytes(3).toString("hex");

/** A job on its own: `enqueue` takes the caller's transaction, so a test that has none opens one. */
export const enqueueAlone = (db: Database, opts: EnqueueOptions) =>
  db.transaction().execute((trx) => enqueue(trx, opts));

export async function makeAgency(c: Container, name = `測試機關${suffix()}`, parentId: number | null = null) {
  return c.db
    .insertInto("org_nodes")
    .values({ kind: "agency", name, parent_id: parentId, code: null, mail_quota: 10 })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function makeUnit(c: Container, parentId: number, name = `測試單位${suffix()}`) {
  return c.db
    .insertInto("org_nodes")
    .values({ kind: "unit", name, parent_id: parentId, code: null, mail_quota: null })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface MadeAccount {
  id: number;
  username: string;
  password: string;
  unitId: number;
  agencyId: number;
}

export async function makeAccount(
  c: Container,
  opts: {
    unitId: number;
    role?: Role;
    status?: AccountStatus;
    username?: string;
    name?: string;
    passwordChangedAt?: Date;
  },
): Promise<MadeAccount> {
  const username = opts.username ?? `t.${suffix()}`;
  const row = await c.db
    .insertInto("accounts")
    .values({
      username,
      name: opts.name ?? `測試${username}`,
      unit_id: opts.unitId,
      role: opts.role ?? "user",
      status: opts.status ?? "enabled",
      password_hash: await c.hasher.hash(TEST_PASSWORD),
      password_changed_at: opts.passwordChangedAt ?? c.clock.now(),
      backup_email: null,
      totp_secret_enc: null,
      totp_enabled_at: null,
      mobile: null,
      mobile_verified_at: null,
      citizen_card_no: null,
      status_reason: null,
      status_changed_at: null,
      locked_at: null,
      last_login_at: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const unit = await c.db
    .selectFrom("org_nodes")
    .select("agency_id")
    .where("id", "=", opts.unitId)
    .executeTakeFirstOrThrow();
  return { id: row.id, username, password: TEST_PASSWORD, unitId: opts.unitId, agencyId: unit.agency_id };
}

export const meta = { ip: "203.0.113.7", userAgent: "vitest" };

/** Signs in through the real service and returns the session's actor. */
export async function signInAs(c: Container, a: MadeAccount): Promise<{ actor: Actor; token: string }> {
  const { token } = await c.services.auth.signIn({ username: a.username, password: a.password }, meta);
  const actor = await c.services.auth.actorFromToken(token, meta);
  if (!actor) throw new Error("sign-in produced no actor");
  return { actor, token };
}

export async function makeSite(c: Container, name = `測試地點${suffix()}`) {
  return c.db.insertInto("sites").values({ name }).returningAll().executeTakeFirstOrThrow();
}

export interface ItemOptions {
  kind?: "venue" | "car" | "driver";
  agencyId: number;
  siteId: number;
  name?: string;
  isPublic?: boolean;
  scope?: "all" | "own" | "listed";
  listed?: number[];
  custodians?: number[];
  openFrom?: string;
  openTo?: string;
  capacity?: number;
  passengerLimit?: number;
}

/** An item straight into the database, for tests of booking rules. */
export async function makeItem(c: Container, o: ItemOptions) {
  const kind = o.kind ?? "venue";
  const now = c.clock.now();
  const item = await c.db
    .insertInto("items")
    .values({
      kind,
      agency_id: o.agencyId,
      site_id: o.siteId,
      name: o.name ?? `${kind === "venue" ? "會議室" : kind === "car" ? "公務車" : "司機"}${suffix()}`,
      is_public: o.isPublic ?? true,
      borrow_scope: o.scope ?? "all",
      open_from: kind === "driver" ? null : (o.openFrom ?? "08:00"),
      open_to: kind === "driver" ? null : (o.openTo ?? "18:00"),
      floor: kind === "venue" ? "3F" : null,
      capacity: kind === "venue" ? (o.capacity ?? 20) : null,
      phone: kind === "driver" ? "0912345678" : null,
      description: null,
      rules: null,
      plate_no: kind === "car" ? `T-${suffix()}` : null,
      passenger_limit: kind === "car" ? (o.passengerLimit ?? 4) : null,
      brand: kind === "car" ? "Toyota" : null,
      year: kind === "car" ? 2022 : null,
      displacement_cc: kind === "car" ? 1800 : null,
      car_no: kind === "car" ? `C${suffix()}` : null,
      licence: kind === "driver" ? "職業小客車" : null,
      note: null,
      deleted_at: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const agencyId of o.listed ?? []) {
    await c.db.insertInto("item_allowed_agencies").values({ item_id: item.id, agency_id: agencyId }).execute();
  }
  for (const [i, accountId] of (o.custodians ?? []).entries()) {
    await c.db
      .insertInto("item_custodians")
      .values({ item_id: item.id, slot: i + 1, account_id: accountId })
      .execute();
  }
  return item;
}

/** A booking straight into the database (status and times as given), for item records and delete guards. */
export async function makeItemBooking(
  c: Container,
  o: {
    itemId: number;
    applicantId: number;
    start: Date;
    end: Date;
    status?: "pending" | "approved" | "rejected" | "cancelled";
    driverId?: number;
    reason?: string;
  },
) {
  const now = c.clock.now();
  return c.db
    .insertInto("bookings")
    .values({
      item_id: o.itemId,
      applicant_id: o.applicantId,
      during: sql`tstzrange(${o.start}::timestamptz, ${o.end}::timestamptz, '[)')` as unknown as string,
      status: o.status ?? "approved",
      reason: o.reason ?? "業務會議",
      attendees: 5,
      passengers: null,
      destination: null,
      driver_id: o.driverId ?? null,
      decided_by: null,
      decided_at: o.status === "pending" ? null : now,
      decision_comment: null,
      cancelled_at: null,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
}

/** A repair type straight into the database (RPR-1), with its vendor staff and custodians. */
export async function makeRepairType(
  c: Container,
  o: {
    agencyId: number;
    name?: string;
    scope?: "all" | "own" | "listed";
    listed?: number[];
    vendors?: number[];
    custodians?: number[];
    categories?: string[];
  },
) {
  const now = c.clock.now();
  const type = await c.db
    .insertInto("repair_types")
    .values({
      agency_id: o.agencyId,
      name: o.name ?? `報修類型${suffix()}`,
      report_scope: o.scope ?? "all",
      vendor_name: "測試廠商",
      vendor_phone: "06-1234567",
      categories: o.categories ?? ["一般維修", "硬體更換"],
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const agencyId of o.listed ?? [])
    await c.db.insertInto("repair_type_agencies").values({ type_id: type.id, agency_id: agencyId }).execute();
  for (const accountId of o.vendors ?? [])
    await c.db.insertInto("repair_type_vendors").values({ type_id: type.id, account_id: accountId }).execute();
  for (const [i, accountId] of (o.custodians ?? []).entries())
    await c.db
      .insertInto("repair_type_custodians")
      .values({ type_id: type.id, slot: i + 1, account_id: accountId })
      .execute();
  return type;
}

/** A repair ticket straight into the database (status and dates as given), for statistics and exports. */
export async function makeRepairTicket(
  c: Container,
  o: {
    typeId: number;
    reporterId: number;
    unitId: number;
    siteId: number;
    createdAt?: Date;
    status?: "pending" | "processed" | "returned";
    returns?: number;
    description?: string;
  },
) {
  const at = o.createdAt ?? c.clock.now();
  const processed = o.status === "processed";
  return c.db
    .insertInto("repair_tickets")
    .values({
      type_id: o.typeId,
      reporter_id: o.reporterId,
      unit_id: o.unitId,
      phone: "06-2991000",
      site_id: o.siteId,
      floor: "3F",
      description: o.description ?? "冷氣不冷",
      status: o.status ?? "pending",
      return_count: o.returns ?? 0,
      handler_name: processed ? "維修甲" : null,
      handled_at: processed ? new Date(at.getTime() + 3600_000) : null,
      result: processed ? "已更換零件" : null,
      category: processed ? "一般維修" : null,
      created_at: at,
      updated_at: at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
}
