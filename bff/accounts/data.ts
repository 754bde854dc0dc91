import type { Database } from "../../db/index.js";
import { yesNo } from "./labels.js";
import type { AccountData } from "./schemas.js";

/** Field labels, in form order: the change log names fields by these. */
export const dataLabels: Record<keyof AccountData, string> = {
  name: "姓名",
  office_phone: "公務電話",
  office_ext: "分機",
  work_address: "住址(工作地)",
  needs_official_mail: "是否需要公務郵件",
  backup_email: "備用信箱",
  mobile: "個人手機號碼",
  citizen_card_no: "自然人憑證卡號",
};

/** Before → after of each changed field, as display text. */
export function dataDiff(before: AccountData, after: AccountData) {
  const show = (k: keyof AccountData, v: AccountData[keyof AccountData]) =>
    k === "needs_official_mail" ? yesNo(Boolean(v)) : ((v as string | null) ?? "");
  return (Object.keys(dataLabels) as (keyof AccountData)[])
    .filter((k) => before[k] !== after[k])
    .map((k) => ({ field: dataLabels[k], before: show(k, before[k]), after: show(k, after[k]) }));
}

/**
 * ORG-2: the agency's official-mail quota. Used counts accounts of the agency that use
 * official mail and are not disabled; remaining may be negative and is shown as such.
 */
export async function mailQuota(db: Database, agencyId: number) {
  const [agency, used] = await Promise.all([
    db.selectFrom("org_nodes").select(["name", "mail_quota"]).where("id", "=", agencyId).executeTakeFirstOrThrow(),
    db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("u.agency_id", "=", agencyId)
      .where("a.needs_official_mail", "=", true)
      .where("a.status", "!=", "disabled")
      .executeTakeFirstOrThrow(),
  ]);
  const n = Number(used.n);
  return {
    agencyName: agency.name,
    limit: agency.mail_quota,
    used: n,
    remaining: agency.mail_quota === null ? null : agency.mail_quota - n,
  };
}
