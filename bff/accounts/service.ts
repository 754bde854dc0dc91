import type { Database } from "../../db/index.js";
import type { AccountStatus, Role } from "../../db/schema.js";
import type { AccountChangeKind } from "../../db/schema/account-console.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { queueSecretMessage } from "../auth/code-delivery.js";
import type { PasswordHasher } from "../auth/hashing.js";
import { createSlots } from "../custodians/slots.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError, notFound } from "../errors.js";
import { escapeLike } from "../items/queries.js";
import { revokeAccountSso } from "../oidc/revoke.js";
import { directParams, type ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import { clearUsernameThrottle } from "../auth/throttle.js";
import { scheduleChange } from "../scheduled/changes.js";
import { cleanText } from "../text.js";
import { taipeiDaysBetween } from "../time.js";
import { createBatchDisable } from "./batch.js";
import { changeLogEntry, changeLogPage, exportChangeLog, type LogFilter, logChanges } from "./change-log.js";
import { applyRole, applyUnit, checkDemotion, createAccountScheduledExecutors, unitOfAgency } from "./changes.js";
import { dataDiff, type DataInput, mailQuota, temporaryPassword, validateData } from "./data.js";
import { parseDisableReason, parseEffective } from "./effective.js";
import { custodyOf, disableBlocks } from "./guards.js";
import { permissionText } from "./labels.js";
import { type AccountFilter, exportAccounts, listAccounts, parseFilter } from "./list.js";
import { exportLoginRecords, loginRecordEntry, loginRecordPage, type RecordFilter } from "./login-records.js";
import { scopeAccounts } from "./scope.js";
import { applyStatus, auditAs, disableNow, throwBlocks } from "./status.js";
import { parseId } from "../validation.js";
import { inTransaction } from "../../db/transaction.js";

export { disableReasons } from "./effective.js";

const logKinds: readonly AccountChangeKind[] = ["data", "unit", "status"];
const parseKind = (v: unknown): AccountChangeKind => {
  const k = logKinds.find((x) => x === v);
  if (!k) throw notFound();
  return k;
};

export function createAccountsService(deps: {
  db: Database;
  clock: Clock;
  directory: DirectoryQueue;
  hasher?: PasswordHasher;
  dataKey?: Buffer;
  /** PRT-5 system parameters (password age); read straight from the table when absent. */
  params?: ParamReader;
}) {
  const { db, clock, directory } = deps;
  const params = deps.params ?? directParams(db);
  const batch = createBatchDisable({ db, clock, directory });
  const itemSlots = createSlots(deps, {
    owners: "items",
    custodians: "item_custodians",
    changes: "custodian_changes",
    owner: "item_id",
    auditAction: "item.custodian",
    auditTarget: "item",
  });
  const typeSlots = createSlots(deps, {
    owners: "repair_types",
    custodians: "repair_type_custodians",
    changes: "repair_custodian_changes",
    owner: "type_id",
    auditAction: "repair_type.custodian",
    auditTarget: "repair_type",
  });

  function scopedAccountQuery(actor: Actor) {
    const base = db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .innerJoin("org_nodes as ag", "ag.id", "u.agency_id");
    return scopeAccounts(base, actor);
  }

  /** One account as an admin sees it; outside the actor's scope it does not exist (404). */
  async function getAccount(actor: Actor, accountId: number) {
    if (!Number.isSafeInteger(accountId) || accountId <= 0) throw notFound();
    if (actor.role === "user" && actor.accountId !== accountId) throw notFound();
    const row = await scopedAccountQuery(actor)
      .select([
        "a.id",
        "a.username",
        "a.name",
        "a.title",
        "a.role",
        "a.status",
        "a.status_reason",
        "a.status_changed_at",
        "a.login_permission",
        "a.failed_login_count",
        "a.locked_at",
        "a.last_login_at",
        "a.password_changed_at",
        "a.office_phone",
        "a.office_ext",
        "a.work_address",
        "a.needs_official_mail",
        "a.backup_email",
        "a.mobile",
        "a.mobile_verified_at",
        "a.citizen_card_no",
        "a.totp_enabled_at",
        "a.created_at",
        "a.unit_id",
        "u.name as unitName",
        "u.agency_id as agencyId",
        "ag.name as agencyName",
      ])
      .where("a.id", "=", accountId)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** An admin's target: in scope, not themselves, and a system admin only for a system admin. */
  async function manageable(actor: Actor, accountId: number, what: string) {
    requireAdmin(actor);
    const account = await getAccount(actor, accountId);
    if (accountId === actor.accountId) throw new DomainError("invalid", `不可變更自己的${what}。`);
    if (account.role === "sys_admin" && actor.role !== "sys_admin")
      throw new DomainError("forbidden", "系統管理者的帳號只能由系統管理者異動。");
    return account;
  }

  const idOf = (raw: unknown) => parseId(raw) ?? -1;

  // ---- ACC-10 list and export ----

  async function list(actor: Actor, raw: Record<string, unknown>) {
    requireAdmin(actor);
    return listAccounts(db, actor, parseFilter(raw), raw.page);
  }

  /** The whole filtered list as .xlsx; the export itself is audited with its filter. */
  async function exportList(actor: Actor, raw: Record<string, unknown>, onError?: (e: unknown) => void) {
    requireAdmin(actor);
    const filter: AccountFilter = parseFilter(raw);
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: "account.export",
        targetType: "account",
        targetId: "list",
        detail: { filter },
      }),
    );
    return exportAccounts(db, actor, filter, onError);
  }

  // ---- ACC-12 帳號資料 ----

  /** Everything the detail page shows, whatever its tab. */
  async function detail(actor: Actor, accountId: unknown) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    const [quota, units, custody, pending] = await Promise.all([
      mailQuota(db, account.agencyId),
      agencyUnits(account.agencyId),
      custodyOf(db, account.id),
      db
        .selectFrom("scheduled_changes")
        .select(["id", "type", "execute_at", "payload"])
        .where("target_account_id", "=", account.id)
        .where("state", "=", "pending")
        .orderBy("execute_at")
        .limit(20)
        .execute(),
    ]);
    return { account, quota, units, custody, pending };
  }

  /** The units of an agency, as paths, for the 調入單位 picker. */
  async function agencyUnits(agencyId: number) {
    const nodes = await db
      .selectFrom("org_nodes")
      .select(["id", "name", "parent_id", "kind", "sort"])
      .where("agency_id", "=", agencyId)
      .where("active", "=", true)
      .orderBy("sort")
      .orderBy("id")
      .execute();
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const path = (id: number): string => {
      const n = byId.get(id);
      if (!n || n.kind === "agency") return "";
      const up = n.parent_id ? path(n.parent_id) : "";
      return up ? `${up} › ${n.name}` : n.name;
    };
    return nodes.filter((n) => n.kind === "unit").map((n) => ({ id: n.id, path: path(n.id) }));
  }

  async function updateData(actor: Actor, accountId: unknown, input: DataInput) {
    const account = await manageable(actor, idOf(accountId), "帳號資料");
    const next = validateData(input);
    const now = clock.now();
    const diff = dataDiff(
      {
        name: account.name,
        office_phone: account.office_phone,
        office_ext: account.office_ext,
        work_address: account.work_address,
        needs_official_mail: account.needs_official_mail,
        backup_email: account.backup_email,
        mobile: account.mobile,
        citizen_card_no: account.citizen_card_no,
      },
      next,
    );
    if (diff.length === 0) return { changed: 0 };
    if (next.citizen_card_no) {
      const taken = await db
        .selectFrom("accounts")
        .select("id")
        .where("citizen_card_no", "=", next.citizen_card_no)
        .where("id", "!=", account.id)
        .executeTakeFirst();
      if (taken)
        throw new DomainError("invalid", "請修正標示的欄位。", { citizenCardNo: "此自然人憑證卡號已由其他帳號使用" });
    }
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({
          ...next,
          // A new mobile number has not been verified yet.
          mobile_verified_at: next.mobile === account.mobile ? account.mobile_verified_at : null,
          updated_at: now,
        })
        .where("id", "=", account.id)
        .execute();
      await logChanges(trx, { accountId: account.id, kind: "data", actorId: actor.accountId, at: now, changes: diff });
      await directory.accountChanged(trx, { accountId: account.id, at: now, by: actor.accountId });
      await writeAudit(trx, actor, now, {
        action: "account.data",
        targetType: "account",
        targetId: account.id,
        detail: { fields: diff.map((d) => d.field) },
      });
    });
    return { changed: diff.length };
  }

  /**
   * 重設密碼: a random temporary password, mailed (sealed in the job) to the backup e-mail
   * and handed to AD. It counts as expired, so its owner must change it at the next sign-in
   * (ACC-17); sessions signed in with the old one end.
   */
  async function resetPassword(actor: Actor, accountId: unknown) {
    const account = await manageable(actor, idOf(accountId), "密碼");
    if (!deps.hasher || !deps.dataKey) throw new Error("resetPassword needs the hasher and the data key");
    if (!account.backup_email)
      throw new DomainError("invalid", "此帳號沒有備用信箱，無法寄送臨時密碼，請先於帳號資料填寫備用信箱。");
    const password = temporaryPassword();
    const hash = await deps.hasher.hash(password);
    const maxAge = await params.get("password_max_age_days");
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({
          password_hash: hash,
          password_changed_at: new Date(now.getTime() - (maxAge + 1) * 86_400_000),
          failed_login_count: 0,
          updated_at: now,
        })
        .where("id", "=", account.id)
        .execute();
      await trx.deleteFrom("sessions").where("account_id", "=", account.id).execute();
      await directory.passwordSet(trx, { accountId: account.id, password, at: now, by: actor.accountId });
      await queueSecretMessage(
        trx,
        deps.dataKey!,
        now,
        {
          channel: "mail",
          to: account.backup_email!,
          subject: "【公務入口網】您的密碼已重設",
          text: `您的帳號 ${account.username} 的密碼已由管理者重設。\n臨時密碼：${password}\n請以臨時密碼登入，登入後系統會要求您立即變更密碼。`,
          expiresAt: new Date(now.getTime() + 7 * 86_400_000),
        },
        `account-reset:${account.id}:${now.getTime()}`,
      );
      await logChanges(trx, {
        accountId: account.id,
        kind: "data",
        actorId: actor.accountId,
        at: now,
        changes: [{ field: "密碼", before: "", after: "已重設，臨時密碼寄至備用信箱" }],
      });
      await writeAudit(trx, actor, now, {
        action: "account.reset-password",
        targetType: "account",
        targetId: account.id,
      });
    });
    return { sentTo: maskEmail(account.backup_email) };
  }

  // ---- ACC-12 隸屬機關(單位) ----

  async function changeUnit(
    actor: Actor,
    accountId: unknown,
    input: { unitId?: unknown; title?: unknown; note?: unknown; effective?: unknown; executeAt?: unknown },
  ) {
    const account = await manageable(actor, idOf(accountId), "隸屬單位");
    const fields: Record<string, string> = {};
    const unitId = idOf(input.unitId);
    const rawTitle = typeof input.title === "string" ? input.title.trim() : "";
    const rawNote = typeof input.note === "string" ? input.note.trim() : "";
    if (unitId <= 0 || !(await unitOfAgency(db, unitId, account.agencyId)))
      fields.unitId = "請選擇本機關的調入單位（調至其他機關請走機關異動申請）";
    if (rawTitle === "") fields.title = "請填寫職稱";
    else if (rawTitle.length > 50 || cleanText(rawTitle, 50) !== rawTitle)
      fields.title = "職稱不可超過 50 字，且不可含控制字元";
    if (rawNote.length > 200) fields.note = "備註不可超過 200 字";
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
    if (unitId === account.unit_id && rawTitle === account.title)
      throw new DomainError("invalid", "調入單位與職稱都與目前相同，沒有需要異動的資料。", {
        unitId: "與目前單位相同",
      });
    const note = cleanText(rawNote, 200);
    const now = clock.now();
    const executeAt = parseEffective(input, now);
    await inTransaction(db, async (trx) => {
      if (executeAt) {
        await scheduleChange(trx, {
          type: "account.unit",
          targetAccountId: account.id,
          agencyId: account.agencyId,
          executeAt,
          payload: { unitId, title: rawTitle, note },
          createdBy: actor.accountId,
          now,
        });
        await writeAudit(trx, actor, now, {
          action: "account.unit.schedule",
          targetType: "account",
          targetId: account.id,
          detail: { unitId, title: rawTitle, executeAt: executeAt.toISOString() },
        });
      } else
        await applyUnit(trx, directory, {
          accountId: account.id,
          unitId,
          title: rawTitle,
          note,
          at: now,
          author: { actorId: actor.accountId, ip: actor.ip },
        });
    });
    return { scheduledAt: executeAt };
  }

  // ---- ACC-12 帳號狀態 ----

  /** ACC-12 帳號權限異動: agency admins grant or remove 機關管理者; only a system admin grants 系統管理者. */
  async function changeRole(
    actor: Actor,
    accountId: unknown,
    input: { role?: unknown; effective?: unknown; executeAt?: unknown },
  ) {
    const account = await manageable(actor, idOf(accountId), "權限");
    const role = (["user", "agency_admin", "sys_admin"] as const).find((r) => r === input.role);
    if (!role) throw new DomainError("invalid", "請選擇權限。", { role: "請選擇權限" });
    if (role === "sys_admin" && actor.role !== "sys_admin")
      throw new DomainError("invalid", "只有系統管理者可以指派系統管理者。", {
        role: "只有系統管理者可以指派系統管理者",
      });
    if (role === account.role)
      throw new DomainError("invalid", "權限與目前相同，沒有需要異動的資料。", { role: "與目前相同" });
    if (account.status !== "enabled" && role !== "user")
      throw new DomainError("invalid", "帳號須為啟用狀態，才能指派為管理者。", { role: "帳號未啟用" });
    const now = clock.now();
    const executeAt = parseEffective(input, now);
    await inTransaction(db, async (trx) => {
      if (executeAt) {
        await checkDemotion(trx, account.id, role);
        await scheduleChange(trx, {
          type: "account.role",
          targetAccountId: account.id,
          agencyId: account.agencyId,
          executeAt,
          payload: { role },
          createdBy: actor.accountId,
          now,
        });
        await writeAudit(trx, actor, now, {
          action: "account.role.schedule",
          targetType: "account",
          targetId: account.id,
          detail: { role, executeAt: executeAt.toISOString() },
        });
      } else
        await applyRole(trx, directory, {
          accountId: account.id,
          role: role as Role,
          at: now,
          author: { actorId: actor.accountId, ip: actor.ip },
        });
    });
    return { scheduledAt: executeAt };
  }

  /**
   * ACC-4/12 status change: disabling needs a 註銷原因 and passes the ACC-4 guards (now, and
   * again when a scheduled one runs); it ends the account's sessions and single sign-on.
   */
  async function setStatus(
    actor: Actor,
    accountId: number | string,
    input: {
      status: AccountStatus | string;
      reason?: unknown;
      reasonText?: unknown;
      effective?: unknown;
      executeAt?: unknown;
    },
  ) {
    const account = await manageable(actor, idOf(accountId), "帳號狀態");
    if (input.status !== "enabled" && input.status !== "disabled")
      throw new DomainError("invalid", "請選擇帳號狀態。", { status: "請選擇啟用或停用" });
    if (input.status === account.status)
      throw new DomainError("invalid", "帳號狀態與目前相同，沒有需要異動的資料。", { status: "與目前相同" });
    if (input.status === "enabled" && account.status === "inactive")
      throw new DomainError("invalid", "未啟用的帳號須由本人開通，無法直接啟用。", { status: "帳號尚未開通" });
    const reason = input.status === "disabled" ? parseDisableReason(input) : null;
    const now = clock.now();
    const executeAt = parseEffective(input, now);
    const author = { actorId: actor.accountId, ip: actor.ip };
    await inTransaction(db, async (trx) => {
      if (executeAt) {
        if (input.status === "disabled") {
          const blocks = await disableBlocks(trx, [account.id]);
          if (blocks.length > 0) throwBlocks(blocks);
        }
        await scheduleChange(trx, {
          type: input.status === "disabled" ? "account.disable" : "account.enable",
          targetAccountId: account.id,
          agencyId: account.agencyId,
          executeAt,
          payload: reason ? { reason } : {},
          createdBy: actor.accountId,
          now,
        });
        await writeAudit(trx, actor, now, {
          action: "account.status.schedule",
          targetType: "account",
          targetId: account.id,
          detail: { to: input.status, reason, executeAt: executeAt.toISOString() },
        });
      } else if (input.status === "disabled") {
        await disableNow(trx, directory, { accountIds: [account.id], reason: reason!, at: now, author });
      } else {
        await applyStatus(trx, directory, { accountId: account.id, status: "enabled", reason: null, at: now, author });
        await auditAs(trx, author, now, { action: "account.enable", targetId: account.id });
      }
    });
    return { scheduledAt: executeAt };
  }

  async function setPermission(actor: Actor, accountId: unknown, to: "normal" | "locked") {
    const account = await manageable(actor, idOf(accountId), "帳號");
    if (to === "normal" && account.login_permission === "normal")
      throw new DomainError("invalid", "此帳號目前未鎖定，無需解鎖。");
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set(
          to === "normal"
            ? { login_permission: "normal", failed_login_count: 0, locked_at: null, updated_at: now }
            : { login_permission: "locked", locked_at: null, updated_at: now },
        )
        .where("id", "=", account.id)
        .execute();
      if (to === "locked") {
        await trx.deleteFrom("sessions").where("account_id", "=", account.id).execute();
        await revokeAccountSso(trx, account.id);
      } else {
        // An unlock is at once: the username's sign-in delays go with the lock (ADR 0025).
        await clearUsernameThrottle(trx, account.username);
      }
      await logChanges(trx, {
        accountId: account.id,
        kind: "status",
        actorId: actor.accountId,
        at: now,
        changes: [
          { field: "帳號登入許可狀態", before: permissionText[account.login_permission]!, after: permissionText[to]! },
        ],
      });
      await directory.accountChanged(trx, { accountId: account.id, at: now, by: actor.accountId });
      await writeAudit(trx, actor, now, {
        action: to === "normal" ? "account.unlock" : "account.lock",
        targetType: "account",
        targetId: account.id,
      });
    });
  }

  /** ACC-12 帳號狀態: unlock a locked account. */
  const unlock = (actor: Actor, accountId: unknown) => setPermission(actor, accountId, "normal");
  /**
   * An admin locks an account (登入許可狀態 鎖定) until someone unlocks it: no cool-down
   * (locked_at stays empty), and its open sessions end now.
   */
  const lock = (actor: Actor, accountId: unknown) => setPermission(actor, accountId, "locked");

  // ---- Custody and the colleague picker ----

  /**
   * Colleagues of the account's agency to hand custody to. Like every picker that may cross
   * agencies (a system admin's), it shows name, unit, title and official phone, nothing more.
   */
  async function colleagues(actor: Actor, accountId: unknown, q: unknown) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    const kw = cleanText(q, 30).trim();
    let query = db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name", "u.name as unitName", "a.title", "a.office_phone as officePhone"])
      .where("u.agency_id", "=", account.agencyId)
      .where("a.status", "=", "enabled")
      .where("a.id", "!=", account.id)
      .orderBy("a.name")
      .orderBy("a.id")
      .limit(20);
    if (kw) {
      const like = `%${escapeLike(kw)}%`;
      query = query.where((eb) =>
        eb.or([eb("a.name", "ilike", like), eb("u.name", "ilike", like), eb("a.title", "ilike", like)]),
      );
    }
    return query.execute();
  }

  /**
   * Hands one thing this account holds (an item's or a repair type's slot) to a colleague
   * of the same agency, through the custodian module (its change log and audit row).
   * Shared accounts are transferred on their own page (ACC-14).
   */
  async function transferCustody(
    actor: Actor,
    accountId: unknown,
    input: { custody?: unknown; toAccountId?: unknown; reason?: unknown },
  ) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    const held = await custodyOf(db, account.id);
    // The form names the held thing as "kind:id", e.g. "venue:12".
    const [kind, ownerRaw] = typeof input.custody === "string" ? input.custody.split(":") : [];
    const ownerId = idOf(ownerRaw);
    const item = held.find((h) => h.kind === kind && h.id === ownerId && h.kind !== "shared_account");
    if (!item) throw new DomainError("invalid", "請選擇要移轉的保管項目。", { custody: "請選擇要移轉的保管項目" });
    const to = idOf(input.toAccountId);
    const colleague = await db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name"])
      .where("a.id", "=", to)
      .where("a.status", "=", "enabled")
      .where("u.agency_id", "=", account.agencyId)
      .executeTakeFirst();
    if (!colleague || to === account.id)
      throw new DomainError("invalid", "保管人僅能移轉給同機關的在職同仁，請重新選擇。", {
        toAccountId: "請選擇同機關的同仁",
      });
    const slots = item.kind === "repair_type" ? typeSlots : itemSlots;
    const holder = item.kind === "driver" ? "管理人" : "保管人";
    const reason =
      typeof input.reason === "string" && input.reason.trim() ? input.reason : `${account.name} 的保管移轉`;
    // The new custodian and this account's change log commit together.
    await inTransaction(db, async (trx) => {
      const owner = { id: item.id, agency_id: item.agencyId };
      await slots.setCustodian(actor, owner, holder, { slot: item.slot, accountId: to, reason }, trx);
      await logChanges(trx, {
        accountId: account.id,
        kind: "status",
        actorId: actor.accountId,
        at: clock.now(),
        changes: [{ field: "保管移轉", before: item.name, after: "", note: `移轉給 ${colleague.name}` }],
      });
    });
  }

  // ---- Logs, records and their exports ----

  async function changeLog(actor: Actor, accountId: unknown, kind: unknown, filter: LogFilter & { page?: unknown }) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    return changeLogPage(db, account.id, parseKind(kind), filter);
  }

  async function changeEntry(actor: Actor, accountId: unknown, kind: unknown, id: unknown) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    return changeLogEntry(db, account.id, parseKind(kind), id);
  }

  async function exportChanges(actor: Actor, accountId: unknown, kind: unknown, filter: LogFilter) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    const k = parseKind(kind);
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: "account.export-changes",
        targetType: "account",
        targetId: account.id,
        detail: { kind: k, from: filter.from ?? null, to: filter.to ?? null },
      }),
    );
    return exportChangeLog(db, account, k, filter);
  }

  async function loginRecords(actor: Actor, accountId: unknown, filter: RecordFilter & { page?: unknown }) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    return loginRecordPage(db, account.id, filter);
  }

  async function loginRecord(actor: Actor, accountId: unknown, id: unknown) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    return loginRecordEntry(db, account.id, id);
  }

  async function exportRecords(actor: Actor, accountId: unknown, filter: RecordFilter) {
    requireAdmin(actor);
    const account = await getAccount(actor, idOf(accountId));
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: "account.export-login-records",
        targetType: "account",
        targetId: account.id,
        detail: { filter },
      }),
    );
    return exportLoginRecords(db, account, filter);
  }

  // ---- My account (ACC-19) ----

  /** ACC-19 / ACC-17: my own account, with days until my password expires. */
  async function myAccount(actor: Actor) {
    const account = await getAccount(actor, actor.accountId);
    const maxAgeDays = await params.get("password_max_age_days");
    const passwordExpiresAt = account.password_changed_at
      ? new Date(account.password_changed_at.getTime() + maxAgeDays * 86_400_000)
      : null;
    const passwordDaysLeft = passwordExpiresAt ? taipeiDaysBetween(clock.now(), passwordExpiresAt) : null;
    return { ...account, passwordExpiresAt, passwordDaysLeft };
  }

  /** ACC-19 帳號登入紀錄: my latest sign-ins. */
  async function myLoginRecords(actor: Actor, limit = 20) {
    return db
      .selectFrom("login_records")
      .select(["id", "method", "action", "result", "ip", "user_agent", "at"])
      .where("account_id", "=", actor.accountId)
      .orderBy("at", "desc")
      .orderBy("id", "desc")
      .limit(Math.min(Math.max(1, limit), 100))
      .execute();
  }

  return {
    getAccount,
    list,
    exportList,
    batchDisable: batch.batchDisable,
    detail,
    updateData,
    resetPassword,
    changeUnit,
    changeRole,
    setStatus,
    unlock,
    lock,
    colleagues,
    transferCustody,
    changeLog,
    changeEntry,
    exportChanges,
    loginRecords,
    loginRecord,
    exportRecords,
    myAccount,
    myLoginRecords,
    /** ACC-9/16: what the scheduled-change runner calls for account.* changes. */
    scheduledExecutors: createAccountScheduledExecutors({ directory }),
  };
}

/** 「w***@example.com」: enough for the admin to tell which address, not to harvest it. */
function maskEmail(email: string): string {
  const [user, domain] = email.split("@");
  return `${(user ?? "").slice(0, 1)}***@${domain ?? ""}`;
}

export type AccountsService = ReturnType<typeof createAccountsService>;
