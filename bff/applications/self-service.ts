import type { SelectQueryBuilder } from "kysely";
import type { Database } from "../../db/index.js";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { leaveBlocks } from "../accounts/guards.js";
import { lockAgenciesOf } from "../accounts/status.js";
import { writeAudit } from "../audit.js";
import { describeTargets } from "../audit-targets.js";
import { DomainError, notFound, onUniqueViolation } from "../errors.js";
import { directParams } from "../params/store.js";
import { cleanText, hasUnsafeChars } from "../text.js";
import { type ApplicationDeps } from "./deps.js";
import { normaliseEmail } from "./email-codes.js";
import { unitOf, USERNAME_RE } from "./fields.js";
import { notifyReviewers } from "./notify.js";
import { inTransaction } from "../../db/transaction.js";

/** Ten rows a page, like every list in the portal (the manual). */
const RECORDS_PAGE = 10;
const str = (v: unknown) => (typeof v === "string" ? v : "");
const pageOf = (v: unknown) => Math.min(Math.max(1, Math.floor(Number(str(v)) || 1)), 10_000);

/** One page of my records, newest first (ties broken by id, so pages never overlap). */
const newestFirst =
  (page: number) =>
  <QB extends SelectQueryBuilder<DB, "login_records" | "audit_log", object>>(qb: QB): QB =>
    qb
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(RECORDS_PAGE)
      .offset((page - 1) * RECORDS_PAGE) as QB;

const recordsPage = <R extends { total: number }>(rows: R[], page: number) => ({
  rows,
  total: Number(rows[0]?.total ?? 0),
  page,
  pageSize: RECORDS_PAGE,
});

/** The fields a user edits on their own account (ACC-19); unit and role go through applications. */
const SELF_FIELDS = ["title", "office_phone", "office_ext", "work_address", "backup_email"] as const;

/**
 * Signed-in self-service: ACC-19 my data and records, ACC-17 the forced password change,
 * ACC-7 role application (and a system admin's direct grant), ACC-8 agency change.
 */
export function createSelfService(deps: ApplicationDeps) {
  const { db, clock } = deps;
  const params = deps.params ?? directParams(db);

  async function me(actor: Actor, trx: Database = db) {
    const row = await trx
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .selectAll("a")
      .select(["u.agency_id"])
      .where("a.id", "=", actor.accountId)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** ACC-17: the password's age has passed N days (system parameter): change it first. */
  async function mustChangePassword(actor: Actor): Promise<boolean> {
    const [account, maxAgeDays] = await Promise.all([
      db.selectFrom("accounts").select("password_changed_at").where("id", "=", actor.accountId).executeTakeFirst(),
      params.get("password_max_age_days"),
    ]);
    if (!account?.password_changed_at) return false;
    const expiresAt = account.password_changed_at.getTime() + maxAgeDays * 86_400_000;
    return expiresAt <= clock.now().getTime();
  }

  /** ACC-19: edit my own data. A new backup address needs my current password. */
  async function updateMyData(actor: Actor, input: Record<string, unknown>) {
    const fields: Record<string, string> = {};
    const text = (key: string, label: string, max: number, required: boolean) => {
      const v = str(input[key]).trim();
      if (required && v === "") fields[key] = `請輸入${label}`;
      else if (v.length > max) fields[key] = `${label}不可超過 ${max} 個字`;
      else if (hasUnsafeChars(v)) fields[key] = `${label}含有無法使用的字元`;
      return cleanText(v, max);
    };
    const title = text("title", "職稱", 50, true);
    const officePhone = text("officePhone", "公務電話", 30, true);
    if (officePhone && !fields.officePhone && !/^[0-9+()#\- ]{6,30}$/.test(officePhone))
      fields.officePhone = "公務電話格式錯誤，例如 06-2991111";
    const officeExt = text("officeExt", "分機", 10, false);
    if (officeExt && !fields.officeExt && !/^[0-9]{1,10}$/.test(officeExt)) fields.officeExt = "分機只能是數字";
    const workAddress = text("workAddress", "辦公地址", 200, true);
    const backupRaw = str(input.backupEmail).trim();
    const backupEmail = backupRaw === "" ? null : normaliseEmail(backupRaw);
    if (backupRaw !== "" && !backupEmail) fields.backupEmail = "請輸入正確的電子郵件，例如 name@example.com";
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);

    const before = await me(actor);
    const next = {
      title,
      office_phone: officePhone,
      office_ext: officeExt,
      work_address: workAddress,
      backup_email: backupEmail,
    };
    if (next.backup_email !== (before.backup_email?.toLowerCase() ?? null)) {
      const current = str(input.currentPassword);
      const ok =
        current !== "" &&
        current.length <= 1024 &&
        before.password_hash !== null &&
        (await deps.hasher.verify(before.password_hash, current));
      if (!ok)
        throw new DomainError("invalid", "變更備用信箱需要輸入目前密碼。", { currentPassword: "請輸入正確的目前密碼" });
    }
    const changed = SELF_FIELDS.filter((k) => (before[k] ?? null) !== next[k]);
    if (changed.length === 0) return { changed: 0 };
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ ...next, updated_at: now })
        .where("id", "=", actor.accountId)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "account.self_update",
        targetType: "account",
        targetId: actor.accountId,
        detail: { changes: changed.map((k) => ({ field: k, from: before[k], to: next[k] })) },
      });
      await deps.directory.accountChanged(trx, { accountId: actor.accountId, at: now, by: actor.accountId });
    });
    return { changed: changed.length };
  }

  /** ACC-19 帳號登入紀錄, paged in the database. */
  async function loginRecords(actor: Actor, page: unknown) {
    const p = pageOf(page);
    const rows = await db
      .selectFrom("login_records")
      .select(["id", "at", "method", "action", "result", "ip", "user_agent"])
      .select((eb) => eb.fn.countAll<number>().over().as("total"))
      .where("account_id", "=", actor.accountId)
      .$call(newestFirst(p))
      .execute();
    return recordsPage(rows, p);
  }

  /** ACC-19 帳號使用紀錄: what I did (the audit log rows I am the actor of), paged. */
  async function usageRecords(actor: Actor, page: unknown) {
    const p = pageOf(page);
    const rows = await db
      .selectFrom("audit_log")
      .select(["id", "at", "action", "target_type", "target_id", "ip"])
      .select((eb) => eb.fn.countAll<number>().over().as("total"))
      .where("actor_id", "=", actor.accountId)
      .$call(newestFirst(p))
      .execute();
    return recordsPage(await describeTargets(db, rows), p);
  }

  /** My applications, newest first. */
  async function myApplications(actor: Actor) {
    return db
      .selectFrom("account_applications as aa")
      .innerJoin("org_nodes as ag", "ag.id", "aa.agency_id")
      .innerJoin("org_nodes as u", "u.id", "aa.unit_id")
      .select([
        "aa.id",
        "aa.type",
        "aa.status",
        "aa.submitted_at",
        "aa.decided_at",
        "aa.effective_at",
        "aa.decision_comment",
        "aa.reason",
        "ag.name as agencyName",
        "u.name as unitName",
      ])
      .where("aa.account_id", "=", actor.accountId)
      .orderBy("aa.id", "desc")
      .limit(50)
      .execute();
  }

  const reasonOf = (input: Record<string, unknown>) => {
    const reason = cleanText(input.reason, 600).trim();
    if (reason === "") throw new DomainError("invalid", "請填寫申請原因。", { reason: "請填寫申請原因" });
    if (reason.length > 500)
      throw new DomainError("invalid", "申請原因不可超過 500 字。", { reason: "申請原因不可超過 500 字" });
    return reason;
  };

  async function submit(
    actor: Actor,
    type: "role_change" | "agency_change",
    target: { unitId: number; agencyId: number; title: string },
    reason: string,
  ) {
    const account = await me(actor);
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      const row = await trx
        .insertInto("account_applications")
        .values({
          type,
          account_id: account.id,
          agency_id: target.agencyId,
          unit_id: target.unitId,
          username: account.username,
          name: account.name,
          title: target.title,
          office_phone: account.office_phone,
          office_ext: account.office_ext,
          work_address: account.work_address,
          needs_official_mail: account.needs_official_mail,
          backup_email: account.backup_email,
          requested_role: type === "role_change" ? "agency_admin" : null,
          reason,
          submitted_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow()
        .catch(onUniqueViolation(() => new DomainError("conflict", "您已有一筆相同的申請等待審核。")));
      await writeAudit(trx, actor, now, {
        action: `account_application.submit.${type}`,
        targetType: "account_application",
        targetId: row.id,
      });
      const reviewer = await notifyReviewers(
        deps,
        trx,
        { id: row.id, type, agencyId: target.agencyId, name: account.name, username: account.username },
        now,
      );
      return { ...row, reviewer };
    });
  }

  /** ACC-7: apply to become an agency admin of my own agency; its admins review. */
  async function applyForAgencyAdmin(actor: Actor, input: Record<string, unknown>) {
    if (actor.role !== "user") throw new DomainError("invalid", "您已是管理者，不需申請。");
    const reason = reasonOf(input);
    const account = await me(actor);
    return submit(
      actor,
      "role_change",
      { unitId: account.unit_id, agencyId: account.agency_id, title: account.title },
      reason,
    );
  }

  /** ACC-8: apply to move to a unit of another agency; the NEW agency's admins review. */
  async function applyForAgencyChange(actor: Actor, input: Record<string, unknown>) {
    const fields: Record<string, string> = {};
    const unit = await unitOf(db, input.unitId);
    if (!unit) fields.unitId = "請選擇調入單位";
    else if (str(input.agencyId) !== "" && Number(str(input.agencyId)) !== unit.agency_id)
      fields.unitId = "所選單位不屬於所選機關，請重新選擇";
    else if (unit.agency_id === actor.agencyId) fields.unitId = "同機關內的單位異動請洽本機關管理者辦理";
    const title = cleanText(str(input.title).trim(), 60);
    if (title === "") fields.title = "請輸入新職稱";
    else if (title.length > 50) fields.title = "職稱不可超過 50 個字";
    let reason = "";
    try {
      reason = reasonOf(input);
    } catch (e) {
      if (e instanceof DomainError) Object.assign(fields, e.fields);
      else throw e;
    }
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
    // ACC-4/8: said at once rather than at review — the same guards refuse the approval.
    const blocks = await leaveBlocks(db, [actor.accountId], "move");
    if (blocks.length > 0)
      throw new DomainError(
        "conflict",
        `請先完成交接再申請機關異動：${blocks.map((b) => b.message).join(" ")}保管移轉請洽本機關的機關管理者。`,
      );
    return submit(actor, "agency_change", { unitId: unit!.id, agencyId: unit!.agency_id, title }, reason);
  }

  /** ACC-7: a system admin grants system admin directly (no review), audited. */
  async function grantSysAdmin(actor: Actor, input: { username: unknown }) {
    if (actor.role !== "sys_admin") throw notFound();
    const username = str(input.username).trim().toLowerCase();
    if (!USERNAME_RE.test(username)) throw new DomainError("invalid", "請輸入帳號。", { username: "請輸入帳號" });
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      const account = await trx
        .selectFrom("accounts")
        .select(["id", "role", "status", "name"])
        .where("username", "=", username)
        .forUpdate()
        .executeTakeFirst();
      if (!account) throw new DomainError("invalid", "找不到此帳號。", { username: "找不到此帳號" });
      if (account.status !== "enabled")
        throw new DomainError("invalid", "只能授予啟用中的帳號。", { username: "此帳號不是啟用狀態" });
      if (account.role === "sys_admin")
        throw new DomainError("invalid", "此帳號已是系統管理者。", { username: "已是系統管理者" });
      // 系統管理者 is not 機關管理者: the agency's last admin is refused as any demotion is (ACC-4).
      await lockAgenciesOf(trx, [account.id]);
      const blocks = await leaveBlocks(trx, [account.id], "demote");
      if (blocks.length > 0)
        throw new DomainError("conflict", blocks[0]!.message, { username: "須先指派其他機關管理者" });
      await trx
        .updateTable("accounts")
        .set({ role: "sys_admin", updated_at: now })
        .where("id", "=", account.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "account.role.grant_sys_admin",
        targetType: "account",
        targetId: account.id,
        detail: { from: account.role, to: "sys_admin" },
      });
      await deps.directory.accountChanged(trx, { accountId: account.id, at: now, by: actor.accountId });
      return { name: account.name };
    });
  }

  return {
    me,
    mustChangePassword,
    updateMyData,
    loginRecords,
    usageRecords,
    myApplications,
    applyForAgencyAdmin,
    applyForAgencyChange,
    grantSysAdmin,
  };
}
