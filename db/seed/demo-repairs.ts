import type { Tx } from "../index.js";

/** Demo repair types (RPR-1) with vendor staff, custodians and a few tickets (RPR-2/3). */
export const demoRepairTypes = [
  {
    agency: "rdec",
    name: "公文管理系統",
    scope: "all" as const,
    vendorName: "府城資訊股份有限公司",
    vendorPhone: "06-2991180",
    categories: ["公文管理系統維修-一般操作問題", "公文管理系統維修-系統異常", "公文管理系統維修-帳號權限"],
    vendors: ["vendor.chen"],
    custodians: ["rdec.admin", "huang.mf"],
    tickets: [
      {
        reporter: "wang.xm",
        daysAgo: 1,
        description: "公文系統登入後顯示憑證錯誤，無法簽核。",
        status: "pending" as const,
      },
      {
        reporter: "lee.zw",
        daysAgo: 6,
        description: "公文附件上傳失敗。",
        status: "processed" as const,
        result: "瀏覽器快取造成，已協助清除後正常",
        category: "公文管理系統維修-一般操作問題",
      },
      {
        reporter: "huang.mf",
        daysAgo: 3,
        description: "公文系統很慢。",
        status: "returned" as const,
        returnReason: "請說明是哪一項功能、發生時間，以利查修。",
      },
    ],
  },
  {
    agency: "rdec",
    name: "資訊設備",
    scope: "own" as const,
    vendorName: "府城資訊股份有限公司",
    vendorPhone: "06-2991180",
    categories: ["電腦主機", "印表機", "網路"],
    vendors: ["vendor.chen"],
    custodians: ["rdec.admin"],
    tickets: [
      { reporter: "wang.xm", daysAgo: 0, description: "5F 影印機卡紙，無法列印。", status: "pending" as const },
    ],
  },
];

/**
 * Matched by agency and name, deleted ones included: a re-run adds nothing twice, and a
 * type's tickets are seeded only when the type itself is.
 */
export async function seedRepairs(trx: Tx, orgIds: Map<string, number>, now: Date) {
  const account = async (username: string) =>
    trx
      .selectFrom("accounts")
      .select(["id", "unit_id", "office_phone"])
      .where("username", "=", username)
      .executeTakeFirstOrThrow();
  const site = await trx.selectFrom("sites").select("id").where("name", "=", "永華市政中心").executeTakeFirst();
  if (!site) return;
  for (const t of demoRepairTypes) {
    const agencyId = orgIds.get(t.agency)!;
    const existing = await trx
      .selectFrom("repair_types")
      .select("id")
      .where("agency_id", "=", agencyId)
      .where("name", "=", t.name)
      .executeTakeFirst();
    if (existing) continue;
    const type = await trx
      .insertInto("repair_types")
      .values({
        agency_id: agencyId,
        name: t.name,
        report_scope: t.scope,
        vendor_name: t.vendorName,
        vendor_phone: t.vendorPhone,
        categories: t.categories,
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    for (const v of t.vendors)
      await trx
        .insertInto("repair_type_vendors")
        .values({ type_id: type.id, account_id: (await account(v)).id })
        .execute();
    for (const [i, username] of t.custodians.entries()) {
      const id = (await account(username)).id;
      await trx
        .insertInto("repair_type_custodians")
        .values({ type_id: type.id, slot: i + 1, account_id: id })
        .execute();
      await trx
        .insertInto("repair_custodian_changes")
        .values({
          type_id: type.id,
          slot: i + 1,
          from_account_id: null,
          to_account_id: id,
          reason: "示範資料",
          actor_id: null,
          at: now,
        })
        .execute();
    }
    for (const k of t.tickets) {
      const r = await account(k.reporter);
      const at = new Date(now.getTime() - k.daysAgo * 86_400_000 - 3600_000);
      const processed = k.status === "processed";
      await trx
        .insertInto("repair_tickets")
        .values({
          type_id: type.id,
          reporter_id: r.id,
          unit_id: r.unit_id,
          phone: r.office_phone || "06-2991000",
          site_id: site.id,
          floor: "5F",
          description: k.description,
          status: k.status,
          return_count: k.status === "returned" ? 1 : 0,
          return_reason: "returnReason" in k ? k.returnReason : null,
          handler_name: processed ? "陳志明" : null,
          handled_at: processed ? new Date(at.getTime() + 2 * 3600_000) : null,
          result: "result" in k ? k.result : null,
          category: "category" in k ? k.category : null,
          handled_by: processed ? (await account("vendor.chen")).id : null,
          created_at: at,
          updated_at: at,
        })
        .execute();
    }
  }
}
