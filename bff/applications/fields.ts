import type { Database } from "../../db/index.js";
import { DomainError } from "../errors.js";
import { cleanText, hasUnsafeChars } from "../text.js";
import { normaliseEmail } from "./email-codes.js";

/** A valid AD sAMAccountName, as the accounts table checks. */
export const USERNAME_RE = /^[a-z0-9._-]{1,20}$/;
const PHONE_RE = /^[0-9+()#\- ]{6,30}$/;
const EXT_RE = /^[0-9]{1,10}$/;

/** Every field of an account an applicant fills (ACC-1, ACC-6). */
export interface AccountFields {
  username: string;
  name: string;
  title: string;
  unitId: number;
  agencyId: number;
  officePhone: string;
  officeExt: string;
  workAddress: string;
  needsOfficialMail: boolean;
  backupEmail: string;
}

export const accountFieldNames = [
  "username",
  "name",
  "title",
  "agencyId",
  "unitId",
  "officePhone",
  "officeExt",
  "workAddress",
  "needsOfficialMail",
  "backupEmail",
] as const;

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Text that must be short, printable and present (unless optional). */
function text(
  fields: Record<string, string>,
  key: string,
  value: unknown,
  o: { label: string; max: number; required?: boolean },
): string {
  const raw = str(value).trim();
  if (raw === "") {
    if (o.required) fields[key] = `請輸入${o.label}`;
    return "";
  }
  if (raw.length > o.max) fields[key] = `${o.label}不可超過 ${o.max} 個字`;
  else if (hasUnsafeChars(raw)) fields[key] = `${o.label}含有無法使用的字元`;
  return cleanText(raw, o.max);
}

/** A unit id that is an active node, with its agency. */
export async function unitOf(db: Database, value: unknown) {
  const id = Number(str(value));
  if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) return null;
  return db
    .selectFrom("org_nodes")
    .select(["id", "agency_id", "name"])
    .where("id", "=", id)
    .where("active", "=", true)
    .executeTakeFirst();
}

/**
 * Checks an application form. `fixed` pins fields the applicant may not change here (the
 * proved backup address, the username of an existing account). Throws one DomainError
 * with a message per field; never touches anything.
 */
export async function parseAccountFields(
  db: Database,
  input: Record<string, unknown>,
  fixed: { username?: string; backupEmail?: string } = {},
): Promise<AccountFields> {
  const fields: Record<string, string> = {};
  let username = fixed.username ?? str(input.username).trim().toLowerCase();
  if (fixed.username === undefined) {
    if (username === "") fields.username = "請輸入帳號";
    else if (!USERNAME_RE.test(username)) fields.username = "帳號限 1–20 個英文小寫字母、數字或 . _ -";
    if (fields.username) username = "";
  }
  const name = text(fields, "name", input.name, { label: "姓名", max: 50, required: true });
  const title = text(fields, "title", input.title, { label: "職稱", max: 50, required: true });
  const officePhone = text(fields, "officePhone", input.officePhone, { label: "公務電話", max: 30, required: true });
  if (officePhone && !fields.officePhone && !PHONE_RE.test(officePhone))
    fields.officePhone = "公務電話格式錯誤，例如 06-2991111";
  const officeExt = text(fields, "officeExt", input.officeExt, { label: "分機", max: 10 });
  if (officeExt && !fields.officeExt && !EXT_RE.test(officeExt)) fields.officeExt = "分機只能是數字";
  const workAddress = text(fields, "workAddress", input.workAddress, { label: "辦公地址", max: 200, required: true });
  const backupEmail = fixed.backupEmail ?? normaliseEmail(input.backupEmail) ?? "";
  if (!backupEmail) fields.backupEmail = "請輸入正確的電子郵件，例如 name@example.com";
  const mail = str(input.needsOfficialMail);
  if (mail !== "1" && mail !== "0") fields.needsOfficialMail = "請選擇是否需要公務郵件";
  const unit = await unitOf(db, input.unitId);
  if (!unit) fields.unitId = "請選擇隸屬單位";
  else if (str(input.agencyId) !== "" && Number(str(input.agencyId)) !== unit.agency_id)
    fields.unitId = "所選單位不屬於所選機關，請重新選擇";
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return {
    username,
    name,
    title,
    unitId: unit!.id,
    agencyId: unit!.agency_id,
    officePhone,
    officeExt,
    workAddress,
    needsOfficialMail: mail === "1",
    backupEmail,
  };
}

/** The columns an application row takes from the parsed fields. */
export function applicationColumns(f: AccountFields) {
  return {
    username: f.username,
    name: f.name,
    title: f.title,
    unit_id: f.unitId,
    agency_id: f.agencyId,
    office_phone: f.officePhone,
    office_ext: f.officeExt,
    work_address: f.workAddress,
    needs_official_mail: f.needsOfficialMail,
    backup_email: f.backupEmail,
  };
}

/**
 * The agency → unit picker's choices: active agencies, and each agency's own node plus its
 * units (named by their path below the agency). Read once per page; the tree is small.
 */
export async function orgChoices(db: Database) {
  const nodes = await db
    .selectFrom("org_nodes")
    .select(["id", "parent_id", "kind", "name", "agency_id", "sort"])
    .where("active", "=", true)
    .orderBy("sort")
    .orderBy("id")
    .execute();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const pathOf = (id: number): string => {
    const parts: string[] = [];
    for (let n = byId.get(id); n && n.kind === "unit"; n = n.parent_id ? byId.get(n.parent_id) : undefined)
      parts.unshift(n.name);
    return parts.join(" › ");
  };
  const agencies = nodes.filter((n) => n.kind === "agency").map((n) => ({ id: n.id, name: n.name }));
  const units = nodes.map((n) => ({
    id: n.id,
    agencyId: n.agency_id,
    label: n.kind === "agency" ? `${n.name}（機關本部）` : pathOf(n.id),
  }));
  return { agencies, units };
}
