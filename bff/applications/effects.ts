import { createHash, randomBytes } from "node:crypto";
import type { Database, Tx } from "../../db/index.js";
import type { AccountApplicationsTable } from "../../db/schema/account-applications.js";
import type { Selectable } from "kysely";
import { leaveBlocks } from "../accounts/guards.js";
import { lockAgenciesOf } from "../accounts/status.js";
import { applyUnit, resetRoleOnLeave } from "../accounts/unit-move.js";
import { DomainError, isUniqueViolation } from "../errors.js";
import { type ApplicationDeps, link, typeLabels } from "./deps.js";
import { mailApplicant } from "./notify.js";

export type ApplicationRow = Selectable<AccountApplicationsTable>;

/** How long an activation link works (ACC-3). */
export const ACTIVATION_TTL_MS = 7 * 86_400_000;

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");

/** The personal data an application carries onto its account, as a new account or a reactivated one. */
function appliedPersonalData(app: ApplicationRow, needsOfficialMail: boolean) {
  return {
    name: app.name,
    title: app.title,
    unit_id: app.unit_id,
    office_phone: app.office_phone,
    office_ext: app.office_ext,
    work_address: app.work_address,
    needs_official_mail: needsOfficialMail,
    backup_email: app.backup_email,
  };
}

/**
 * ACC-3: the account of an approved new-account application, created 未啟用 without a
 * password, so it cannot sign in until the applicant activates it. Reuses the account a
 * scheduled approval already made.
 */
export async function ensureNewAccount(
  deps: ApplicationDeps,
  trx: Tx,
  app: ApplicationRow,
  needsOfficialMail: boolean,
  by: number,
  now: Date,
): Promise<number> {
  if (app.account_id !== null) return app.account_id;
  const row = await trx
    .insertInto("accounts")
    .values({
      username: app.username,
      ...appliedPersonalData(app, needsOfficialMail),
      role: "user",
      status: "inactive",
      status_changed_at: now,
      created_at: now,
      updated_at: now,
    })
    .returning("id")
    .executeTakeFirstOrThrow()
    .catch((e: unknown) => {
      if (isUniqueViolation(e))
        throw new DomainError(
          "conflict",
          `帳號「${app.username}」已有人使用，無法通過；請駁回並請申請人改用其他帳號。`,
        );
      throw e;
    });
  // The caller records account_id on the application in its own update (one statement less).
  await deps.directory.accountChanged(trx, { accountId: row.id, at: now, by });
  return row.id;
}

/** The account an application is about, locked for the change and checked again. */
async function lockedAccount(trx: Tx, app: ApplicationRow) {
  if (app.account_id === null) throw new DomainError("conflict", "找不到申請的帳號。");
  const account = await trx
    .selectFrom("accounts")
    .select(["id", "status", "role", "unit_id"])
    .where("id", "=", app.account_id)
    .forUpdate()
    .executeTakeFirst();
  if (!account) throw new DomainError("conflict", "找不到申請的帳號。");
  return account;
}

async function agencyOf(trx: Database, unitId: number) {
  const row = await trx.selectFrom("org_nodes").select("agency_id").where("id", "=", unitId).executeTakeFirst();
  return row?.agency_id;
}

async function unitStillActive(trx: Database, unitId: number) {
  const unit = await trx
    .selectFrom("org_nodes")
    .select("id")
    .where("id", "=", unitId)
    .where("active", "=", true)
    .executeTakeFirst();
  if (!unit) throw new DomainError("conflict", "申請的單位已停用，請駁回後請申請人重新申請。");
}

/**
 * ACC-4/8: a person leaves their agency only with its admin and custody handed over. Checked
 * when a 機關異動 is submitted, approved now or scheduled, and when a scheduled approval runs;
 * the reviewer (the new agency's admin) is told what the applicant must hand over first.
 */
export async function checkAgencyChange(trx: Tx, app: Pick<ApplicationRow, "type" | "account_id">) {
  if (app.type !== "agency_change" || app.account_id === null) return;
  await lockAgenciesOf(trx, [app.account_id]);
  const blocks = await leaveBlocks(trx, [app.account_id], "move");
  if (blocks.length > 0)
    throw new DomainError(
      "conflict",
      `無法通過機關異動：${blocks.map((b) => b.message).join(" ")}請原機關完成交接後再審核，或駁回此申請。`,
    );
}

/**
 * Carries out an approval: now (the reviewer's decision) or at its scheduled time (the
 * executor), each time re-checking that the account is still in the state the application
 * was made from. Every account change reaches AD through the directory queue.
 */
export async function applyApproval(
  deps: ApplicationDeps,
  trx: Tx,
  app: ApplicationRow,
  needsOfficialMail: boolean,
  by: number,
  now: Date,
): Promise<string> {
  switch (app.type) {
    case "activation": {
      // Made now, or by a scheduled approval with the mail-use confirmed then.
      const accountId = await ensureNewAccount(deps, trx, app, needsOfficialMail, by, now);
      const token = randomBytes(32).toString("base64url");
      await trx
        .updateTable("account_applications")
        .set({
          account_id: accountId,
          activation_token_hash: sha256(token),
          activation_expires_at: new Date(now.getTime() + ACTIVATION_TTL_MS),
        })
        .where("id", "=", app.id)
        .execute();
      await mailApplicant(
        deps,
        trx,
        { accountId: null, backupEmail: app.backup_email },
        {
          subject: "個人帳號申請已通過，請開通帳號",
          text: `${app.name} 您好：\n您申請的公務帳號「${app.username}」已通過審核。請於 7 天內開啟下列連結設定密碼以開通帳號，開通後即可登入：\n${link(deps, `/activate?token=${token}`)}\n\n若連結無法開啟，請至公務入口網「開通帳號」頁輸入開通碼：\n${token}`,
        },
        `application-approved:${app.id}`,
        now,
      );
      return `已建立帳號 ${app.username}（未啟用），開通通知已寄出`;
    }
    case "reactivation": {
      const account = await lockedAccount(trx, app);
      if (account.status !== "disabled")
        throw new DomainError("conflict", `帳號「${app.username}」已不是停用狀態，無需復用。`);
      await unitStillActive(trx, app.unit_id);
      await trx
        .updateTable("accounts")
        .set({
          ...appliedPersonalData(app, needsOfficialMail),
          status: "enabled",
          status_reason: null,
          status_changed_at: now,
          // Idle days count again from the reactivation, not from the last sign-in years ago.
          last_login_at: now,
          updated_at: now,
        })
        .where("id", "=", account.id)
        .execute();
      // Reactivated into another agency: an 機關管理者 role stays behind (ACC-4/8).
      if ((await agencyOf(trx, account.unit_id)) !== (await agencyOf(trx, app.unit_id)))
        await resetRoleOnLeave(trx, {
          accountId: account.id,
          from: account.role,
          at: now,
          author: { actorId: by, scheduledChangeId: app.scheduled_change_id },
        });
      break;
    }
    case "agency_change": {
      const account = await lockedAccount(trx, app);
      if (account.status !== "enabled")
        throw new DomainError("conflict", `帳號「${app.username}」不是啟用狀態，無法異動機關。`);
      await unitStillActive(trx, app.unit_id);
      await checkAgencyChange(trx, app);
      // The ACC-4 guards again under the agency lock, the role reset and the unit change log.
      await applyUnit(trx, deps.directory, {
        accountId: account.id,
        unitId: app.unit_id,
        title: app.title,
        note: `機關異動申請 #${app.id}`,
        at: now,
        author: { actorId: by, scheduledChangeId: app.scheduled_change_id },
        toAgencyId: app.agency_id,
        needsOfficialMail,
        links: false,
      });
      break;
    }
    case "role_change": {
      const account = await lockedAccount(trx, app);
      if (account.status !== "enabled")
        throw new DomainError("conflict", `帳號「${app.username}」不是啟用狀態，無法異動權限。`);
      if (account.role !== "user") throw new DomainError("conflict", `帳號「${app.username}」已是管理者。`);
      await trx
        .updateTable("accounts")
        .set({ role: "agency_admin", needs_official_mail: needsOfficialMail, updated_at: now })
        .where("id", "=", account.id)
        .execute();
      break;
    }
  }
  await deps.directory.accountChanged(trx, { accountId: app.account_id!, at: now, by });
  await mailApplicant(
    deps,
    trx,
    { accountId: app.account_id, backupEmail: app.backup_email },
    {
      subject: `${typeLabels[app.type]}申請已通過`,
      text: `${app.name} 您好：\n您的「${typeLabels[app.type]}」申請已通過審核並已生效。\n${link(deps, "/login")}`,
    },
    `application-approved:${app.id}`,
    now,
  );
  return `${typeLabels[app.type]}已生效：${app.username}`;
}

/** A rejection changes no account (except one made early by a scheduled approval). */
export async function applyRejection(deps: ApplicationDeps, trx: Tx, app: ApplicationRow, comment: string, now: Date) {
  if (app.type === "activation" && app.account_id !== null) {
    await trx
      .updateTable("accounts")
      .set({ status: "disabled", status_reason: "申請駁回", status_changed_at: now, updated_at: now })
      .where("id", "=", app.account_id)
      .where("status", "=", "inactive")
      .execute();
    await deps.directory.accountChanged(trx, { accountId: app.account_id, at: now });
  }
  await mailApplicant(
    deps,
    trx,
    { accountId: app.type === "activation" ? null : app.account_id, backupEmail: app.backup_email },
    {
      subject: `${typeLabels[app.type]}申請未通過`,
      text: `${app.name} 您好：\n您的「${typeLabels[app.type]}」申請未通過審核。\n審核說明：${comment}\n如有疑問，請洽所屬機關的機關管理者。`,
    },
    `application-rejected:${app.id}`,
    now,
  );
}
