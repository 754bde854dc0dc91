import type { Database, Tx } from "../index.js";
import { DEMO_PASSWORD, demoAccounts, demoItems, demoOrg, demoSites } from "./demo-data.js";
import { seedRepairs } from "./demo-repairs.js";

/**
 * Idempotent demo seed: rows are matched by code or name or username and never
 * overwritten, so a re-run leaves changes made through the app alone.
 */
export async function seedDemo(db: Database, hash: (password: string) => Promise<string>, now: Date) {
  const passwordHash = await hash(DEMO_PASSWORD);
  await db.transaction().execute(async (trx) => {
    const ids = new Map<string, number>();
    for (const node of demoOrg) {
      const parentId = node.parent ? ids.get(node.parent) : undefined;
      await trx
        .insertInto("org_nodes")
        .values({
          code: node.code,
          name: node.name,
          kind: node.kind,
          parent_id: parentId ?? null,
          mail_quota: node.kind === "agency" ? (node.mailQuota ?? 0) : null,
          sort: demoOrg.indexOf(node),
        })
        .onConflict((oc) => oc.column("code").doNothing())
        .execute();
      const row = await trx
        .selectFrom("org_nodes")
        .select("id")
        .where("code", "=", node.code)
        .executeTakeFirstOrThrow();
      ids.set(node.code, row.id);
    }
    for (const [i, site] of demoSites.entries()) {
      await trx
        .insertInto("sites")
        .values({ ...site, sort: i })
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
    }
    for (const a of demoAccounts) {
      const changedAt = new Date(now.getTime() - (a.passwordAgeDays ?? 0) * 86_400_000);
      await trx
        .insertInto("accounts")
        .values({
          username: a.username,
          name: a.name,
          title: a.title,
          unit_id: ids.get(a.unit)!,
          role: a.role,
          status: "enabled",
          office_phone: a.phone,
          backup_email: `${a.username}@example.tainan.gov.tw`,
          needs_official_mail: true,
          password_hash: passwordHash,
          password_changed_at: changedAt,
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
        .onConflict((oc) => oc.column("username").doNothing())
        .execute();
    }
    await seedItems(trx, ids, now);
    await seedRepairs(trx, ids, now);
  });
}

/**
 * Demo venues, cars and drivers with their custodians. An item is matched by kind,
 * managing agency and name, deleted ones included, so a re-run neither duplicates nor
 * brings back what was deleted through the app.
 */
async function seedItems(trx: Tx, orgIds: Map<string, number>, now: Date) {
  const accountId = async (username: string) =>
    (await trx.selectFrom("accounts").select("id").where("username", "=", username).executeTakeFirstOrThrow()).id;
  const created = new Map<string, number>();
  for (const it of demoItems) {
    const agencyId = orgIds.get(it.agency)!;
    const existing = await trx
      .selectFrom("items")
      .select("id")
      .where("kind", "=", it.kind)
      .where("agency_id", "=", agencyId)
      .where("name", "=", it.name)
      .executeTakeFirst();
    if (existing) continue;
    if (it.plateNo) {
      const samePlate = await trx
        .selectFrom("items")
        .select("id")
        .where("plate_no", "=", it.plateNo)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (samePlate) continue;
    }
    const site = await trx.selectFrom("sites").select("id").where("name", "=", it.site).executeTakeFirstOrThrow();
    const row = await trx
      .insertInto("items")
      .values({
        kind: it.kind,
        agency_id: agencyId,
        site_id: site.id,
        name: it.name,
        is_public: it.isPublic,
        borrow_scope: it.scope,
        open_from: it.hours?.[0] ?? null,
        open_to: it.hours?.[1] ?? null,
        floor: it.floor ?? null,
        capacity: it.capacity ?? null,
        phone: it.phone ?? null,
        description: it.description ?? null,
        rules: it.rules ?? null,
        plate_no: it.plateNo ?? null,
        passenger_limit: it.passengerLimit ?? null,
        brand: it.brand ?? null,
        year: it.year ?? null,
        displacement_cc: it.displacementCc ?? null,
        car_no: it.carNo ?? null,
        licence: it.licence ?? null,
        note: it.note ?? null,
        deleted_at: null,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    created.set(`${it.kind}:${it.agency}:${it.name}`, row.id);
    for (const code of it.listed ?? []) {
      await trx
        .insertInto("item_allowed_agencies")
        .values({ item_id: row.id, agency_id: orgIds.get(code)! })
        .execute();
    }
    for (const [i, username] of it.custodians.entries()) {
      const id = await accountId(username);
      await trx
        .insertInto("item_custodians")
        .values({ item_id: row.id, slot: i + 1, account_id: id })
        .execute();
      await trx
        .insertInto("custodian_changes")
        .values({
          item_id: row.id,
          slot: i + 1,
          from_account_id: null,
          to_account_id: id,
          reason: "示範資料",
          actor_id: null,
          at: now,
        })
        .execute();
    }
    for (const driverName of it.drivers ?? []) {
      const driver = await trx
        .selectFrom("items")
        .select("id")
        .where("kind", "=", "driver")
        .where("agency_id", "=", agencyId)
        .where("name", "=", driverName)
        .where("deleted_at", "is", null)
        .executeTakeFirst();
      if (driver) await trx.insertInto("car_drivers").values({ car_id: row.id, driver_id: driver.id }).execute();
    }
  }
  return created;
}
