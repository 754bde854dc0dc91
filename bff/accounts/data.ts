import { randomInt } from "node:crypto";
import type { Database } from "../../db/index.js";
import { DomainError } from "../errors.js";
import { cleanText } from "../text.js";
import { yesNo } from "./labels.js";

/** ACC-12 帳號資料: the official data an admin edits. */
export interface DataInput {
  name?: unknown;
  officePhone?: unknown;
  officeExt?: unknown;
  workAddress?: unknown;
  needsOfficialMail?: unknown;
  backupEmail?: unknown;
  mobile?: unknown;
  citizenCardNo?: unknown;
}

export interface ValidData {
  name: string;
  office_phone: string;
  office_ext: string;
  work_address: string;
  needs_official_mail: boolean;
  backup_email: string | null;
  mobile: string | null;
  citizen_card_no: string | null;
}

/** Field labels, in form order: the change log names fields by these. */
export const dataLabels: Record<keyof ValidData, string> = {
  name: "姓名",
  office_phone: "公務電話",
  office_ext: "分機",
  work_address: "住址(工作地)",
  needs_official_mail: "是否需要公務郵件",
  backup_email: "備用信箱",
  mobile: "個人手機號碼",
  citizen_card_no: "自然人憑證卡號",
};

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Validates every field at once; bad input gets one message per field, nothing is cut silently. */
export function validateData(input: DataInput): ValidData {
  const fields: Record<string, string> = {};
  const field = (key: string, raw: unknown, max: number, label: string) => {
    const s = str(raw).trim();
    if (s.length > max) fields[key] = `${label}不可超過 ${max} 字`;
    else if (cleanText(s, max) !== s) fields[key] = `${label}含有不允許的字元`;
    return s;
  };
  const name = field("name", input.name, 50, "姓名");
  if (name === "" && !fields.name) fields.name = "請填寫姓名";
  const officePhone = field("officePhone", input.officePhone, 20, "公務電話");
  if (officePhone && !fields.officePhone && !/^[0-9()+\- ]{4,20}$/.test(officePhone))
    fields.officePhone = "公務電話格式不正確，例：06-2991111";
  const officeExt = field("officeExt", input.officeExt, 10, "分機");
  if (officeExt && !fields.officeExt && !/^\d{1,10}$/.test(officeExt)) fields.officeExt = "分機只能是數字";
  const workAddress = field("workAddress", input.workAddress, 200, "住址(工作地)");
  const backupEmail = field("backupEmail", input.backupEmail, 254, "備用信箱").toLowerCase();
  if (backupEmail && !fields.backupEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(backupEmail))
    fields.backupEmail = "備用信箱格式不正確";
  const mobile = field("mobile", input.mobile, 10, "個人手機號碼");
  if (mobile && !fields.mobile && !/^09\d{8}$/.test(mobile)) fields.mobile = "個人手機號碼格式為 09 開頭的 10 位數字";
  const card = field("citizenCardNo", input.citizenCardNo, 16, "自然人憑證卡號").toUpperCase();
  if (card && !fields.citizenCardNo && !/^[A-Z]{2}\d{14}$/.test(card))
    fields.citizenCardNo = "自然人憑證卡號為 2 個英文字母加 14 位數字";
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  const mail = input.needsOfficialMail;
  return {
    name,
    office_phone: officePhone,
    office_ext: officeExt,
    work_address: workAddress,
    needs_official_mail: mail === "on" || mail === "1" || mail === "true" || mail === true,
    backup_email: backupEmail || null,
    mobile: mobile || null,
    citizen_card_no: card || null,
  };
}

/** Before → after of each changed field, as display text. */
export function dataDiff(before: ValidData, after: ValidData) {
  const show = (k: keyof ValidData, v: ValidData[keyof ValidData]) =>
    k === "needs_official_mail" ? yesNo(Boolean(v)) : ((v as string | null) ?? "");
  return (Object.keys(dataLabels) as (keyof ValidData)[])
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

/**
 * A temporary password under the policy (12+ characters, four classes), without look-alike
 * characters, from the crypto random source.
 */
export function temporaryPassword(): string {
  const sets = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnpqrstuvwxyz", "23456789", "!@#$%*-+?"];
  const all = sets.join("");
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < 14) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}
