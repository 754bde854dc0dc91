import { type SqlBool, sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { AccountStatus, LoginPermission, Role } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { escapeLike } from "../items/queries.js";
import { cleanText } from "../text.js";
import { permissionText, roleText, statusText, text, yesNo } from "./labels.js";
import { scopeAccounts } from "./scope.js";
import { PAGE_SIZES, pageSizeOf } from "../paging.js";

export const KEYWORD_MAX = 50;

/** ACC-10 filters as the list page sends them; anything unknown reads as "not filtered". */
export interface AccountFilter {
  q: string;
  role: Role | "";
  status: AccountStatus | "";
  perm: LoginPermission | "";
}

const pick = <T extends string>(allowed: readonly T[], v: unknown): T | "" => allowed.find((a) => a === v) ?? "";

export function parseFilter(raw: { q?: unknown; role?: unknown; status?: unknown; perm?: unknown }): AccountFilter {
  return {
    q: cleanText(raw.q, KEYWORD_MAX).trim(),
    role: pick(["user", "agency_admin", "sys_admin"] as const, raw.role),
    status: pick(["enabled", "disabled", "inactive"] as const, raw.status),
    perm: pick(["normal", "locked"] as const, raw.perm),
  };
}

export interface AccountListRow {
  id: number;
  username: string;
  name: string;
  title: string;
  role: Role;
  status: AccountStatus;
  login_permission: LoginPermission;
  needs_official_mail: boolean;
  office_phone: string;
  office_ext: string;
  last_login_at: Date | null;
  unitName: string;
  agencyName: string;
}

/**
 * The keyword's unit matches: units whose name (or whose agency's name) contains it,
 * through org_nodes_name_trgm. Read first, as a short list of ids, so the accounts query
 * below gets constants it can OR with the trigram index as two bitmaps — a subquery
 * inside the OR would make PostgreSQL read every account.
 */
export async function matchingUnits(db: Database, q: string): Promise<number[]> {
  if (!q) return [];
  const like = `%${escapeLike(q)}%`;
  const rows = await db
    .selectFrom("org_nodes as m")
    .select("m.id")
    .where((w) =>
      w.or([
        w("m.name", "ilike", like),
        w(
          "m.agency_id",
          "in",
          w
            .selectFrom("org_nodes as ma")
            .select("ma.id")
            .where("ma.kind", "=", "agency")
            .where("ma.name", "ilike", like),
        ),
      ]),
    )
    .limit(5000)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The scoped, filtered accounts query (accounts `a`, unit `u`, agency `ag`). The keyword
 * matches username, name and title through the accounts_search trigram index (the
 * expression must stay identical to the index's), or the unit ids from `matchingUnits`.
 */
export function filteredAccounts(db: Database, actor: Actor, f: AccountFilter, unitIds: number[] = []) {
  let q = scopeAccounts(
    db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .innerJoin("org_nodes as ag", "ag.id", "u.agency_id"),
    actor,
  );
  if (f.q) {
    const text = sql<SqlBool>`(a.username || ' ' || a.name || ' ' || a.title) ILIKE ${`%${escapeLike(f.q)}%`}`;
    q = q.where((eb) => (unitIds.length > 0 ? eb.or([text, eb("a.unit_id", "in", unitIds)]) : text));
  }
  if (f.role) q = q.where("a.role", "=", f.role);
  if (f.status) q = q.where("a.status", "=", f.status);
  if (f.perm) q = q.where("a.login_permission", "=", f.perm);
  return q;
}

const rowColumns = [
  "a.id",
  "a.username",
  "a.name",
  "a.title",
  "a.role",
  "a.status",
  "a.login_permission",
  "a.needs_official_mail",
  "a.office_phone",
  "a.office_ext",
  "a.last_login_at",
  "u.name as unitName",
  "ag.name as agencyName",
] as const;

/** One page (by username, which is unique) and the total, both counted in the database. */
export async function listAccounts(db: Database, actor: Actor, f: AccountFilter, pageRaw: unknown, sizeRaw?: unknown) {
  const page = Math.max(1, Math.min(100_000, Math.trunc(Number(pageRaw)) || 1));
  const size = pageSizeOf(sizeRaw);
  const base = filteredAccounts(db, actor, f, await matchingUnits(db, f.q));
  const [rows, total] = await Promise.all([
    base
      .select(rowColumns)
      .orderBy("a.username")
      .limit(size)
      .offset((page - 1) * size)
      .execute() as Promise<AccountListRow[]>,
    base.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n), page, pageSize: size, pageSizes: PAGE_SIZES, filter: f };
}

export const accountExportColumns: XlsxColumn<AccountListRow>[] = [
  { header: "權限", value: (r) => text(roleText, r.role) },
  { header: "帳號", width: 18, value: (r) => r.username },
  { header: "姓名", value: (r) => r.name },
  { header: "職稱", value: (r) => r.title },
  { header: "隸屬機關", width: 24, value: (r) => r.agencyName },
  { header: "隸屬單位", width: 24, value: (r) => r.unitName },
  { header: "帳號狀態", value: (r) => text(statusText, r.status) },
  { header: "帳號登入許可狀態", width: 18, value: (r) => text(permissionText, r.login_permission) },
  {
    header: "公務電話",
    width: 16,
    value: (r) => (r.office_ext ? `${r.office_phone}#${r.office_ext}` : r.office_phone),
  },
  { header: "是否需要公務郵件", width: 18, value: (r) => yesNo(r.needs_official_mail) },
  { header: "最後登入時間", width: 18, value: (r) => taipeiDateTime(r.last_login_at) },
];

/**
 * The whole filtered list as a streamed .xlsx: pages of 500 read by username keyset, so
 * neither the reads nor the workbook hold all rows.
 */
export async function exportAccounts(db: Database, actor: Actor, f: AccountFilter, onError?: (e: unknown) => void) {
  const unitIds = await matchingUnits(db, f.q);
  const rows = keysetRows<AccountListRow>((after, limit) => {
    let q = filteredAccounts(db, actor, f, unitIds).select(rowColumns).orderBy("a.username").limit(limit);
    if (after) q = q.where("a.username", ">", after.username);
    return q.execute() as Promise<AccountListRow[]>;
  });
  return {
    stream: xlsxStream({ sheetName: "個人公務帳號", columns: accountExportColumns, rows, onError }),
    headers: attachmentHeaders("個人公務帳號管理.xlsx"),
  };
}
