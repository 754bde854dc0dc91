import type { Actor } from "../actor.js";
import { knownDeviceKey, knownDevices } from "../auth/known-device.js";
import { clearUsernameThrottle } from "../auth/throttle.js";
import { personOfAgency } from "../custodians/slots.js";
import { DomainError, notFound } from "../errors.js";
import { escapeLike } from "../items/queries.js";
import { idOr404, parseInput } from "../validation.js";
import { lockShared, logChange } from "./changes.js";
import { custodianAddress, type SharedDeps } from "./deps.js";
import { sharedPermissionText, sharedStatusText, sharedTypeText } from "./labels.js";
import { createSharedLists, SUMMARY_COLUMNS } from "./lists.js";
import { generatePassword, queuePasswordMail } from "./password.js";
import { sharedReviewSource } from "./inbox.js";
import { createSharedReview } from "./review.js";
import { administered, heldByMe, heldOrAdministered, isAdmin } from "./scope.js";
import { createSharedSignIn } from "./signin.js";
import {
  type ApplyInput,
  applySchema,
  candidateQuery,
  type DisableInput,
  disableSchema,
  type TransferInput,
  transferSchema,
} from "./schemas.js";
import { inTransaction } from "../../db/transaction.js";
import { LIFT_WRONG_PASSWORD_LOCK } from "../auth/lockout.js";

const USERNAME_TAKEN = "此帳號已有人使用，請換一個";
const FIX = "請修正標示的欄位。";

/**
 * ACC-14 機關及郵件系統帳號: shared accounts (機關帳號, 郵件系統帳號, 資訊系統帳號) held by a
 * custodian of the same agency. Anyone applies and manages the ones they hold; admins
 * manage their agency's (system admins every agency). Out of scope is not found (404).
 */
export function createSharedAccountsService(deps: SharedDeps) {
  const { db, clock, hasher } = deps;

  /** 機關及資訊系統帳號申請: for the applicant's own agency, held by the applicant, waiting for review. */
  async function apply(actor: Actor, raw: ApplyInput): Promise<{ id: number }> {
    const v = parseInput(applySchema, raw, FIX);
    const now = clock.now();
    try {
      return await inTransaction(db, async (trx) => {
        const person = await trx
          .selectFrom("accounts")
          .select("id")
          .where("username", "=", v.username)
          .executeTakeFirst();
        if (person) throw new DomainError("invalid", FIX, { username: USERNAME_TAKEN });
        const row = await trx
          .insertInto("shared_accounts")
          .values({
            type: v.type,
            username: v.username,
            name: v.name,
            purpose: v.purpose,
            agency_id: actor.agencyId,
            custodian_account_id: actor.accountId,
            applied_by: actor.accountId,
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await logChange(trx, actor, now, row.id, "shared_account.apply", {
          kind: "status",
          field: "申請",
          after: `${sharedTypeText[v.type]} ${v.username}（未審核）`,
        });
        return { id: row.id };
      });
    } catch (e) {
      // Two applications racing for one name: the unique key decides, the loser hears why.
      if ((e as { code?: string }).code === "23505")
        throw new DomainError("invalid", FIX, { username: USERNAME_TAKEN });
      throw e;
    }
  }

  /** 我的機關及資訊系統帳號管理: what I hold, newest first. */
  async function mine(actor: Actor) {
    return db
      .selectFrom("shared_accounts as sa")
      .innerJoin("org_nodes as ag", "ag.id", "sa.agency_id")
      .select([...SUMMARY_COLUMNS, "sa.created_at", "ag.name as agencyName"])
      .where(heldByMe(actor))
      .orderBy("sa.id", "desc")
      .limit(200)
      .execute();
  }

  /**
   * Who may take over a shared account: enabled people of its agency (never another
   * agency's), showing only name, unit, title and official phone (issue 6, part 10).
   */
  async function custodianCandidates(actor: Actor, id: unknown, rawQ: unknown) {
    const { q } = parseInput(candidateQuery, { q: rawQ });
    const sharedId = idOr404(id);
    const row = await db
      .selectFrom("shared_accounts as sa")
      .select(["sa.agency_id", "sa.custodian_account_id"])
      .where("sa.id", "=", sharedId)
      .where(heldOrAdministered(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    let query = db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name", "u.name as unitName", "a.title", "a.office_phone as officePhone"])
      .where("u.agency_id", "=", row.agency_id)
      .where("a.status", "=", "enabled")
      .where("a.id", "!=", row.custodian_account_id)
      .orderBy("a.name")
      .orderBy("a.id")
      .limit(20);
    if (q) {
      const like = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([eb("a.name", "ilike", like), eb("u.name", "ilike", like), eb("a.title", "ilike", like)]),
      );
    }
    return query.execute();
  }

  /** 保管人異動: to an enabled colleague of the account's own agency only, with a reason. */
  async function transfer(actor: Actor, id: unknown, raw: TransferInput) {
    const { accountId: to, reason } = parseInput(transferSchema, raw, FIX);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await lockShared(trx, heldOrAdministered(actor), id);
      if (row.status === "disabled" || row.review_status === "rejected")
        throw new DomainError("conflict", "已停用或已駁回的帳號無法移轉保管人。");
      if (to === row.custodian_account_id) throw new DomainError("invalid", FIX, { accountId: "此人已是保管人" });
      const next = await personOfAgency(trx, to, row.agency_id);
      if (!next) throw new DomainError("invalid", FIX, { accountId: "保管人僅限同機關的在職同仁，請重新選擇" });
      const before = await trx
        .selectFrom("accounts")
        .select("name")
        .where("id", "=", row.custodian_account_id)
        .executeTakeFirstOrThrow();
      await trx
        .updateTable("shared_accounts")
        .set({ custodian_account_id: next.id, updated_at: now })
        .where("id", "=", row.id)
        .execute();
      await logChange(trx, actor, now, row.id, "shared_account.custodian", {
        kind: "data",
        field: "保管人",
        before: before.name,
        after: next.name,
        reason,
      });
    });
  }

  /** 重設密碼: a new random password, stored as argon2id, mailed to the custodian (never shown). */
  async function resetPassword(actor: Actor, id: unknown) {
    const password = generatePassword();
    const hash = await hasher.hash(password);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await lockShared(trx, heldOrAdministered(actor), id);
      if (row.status !== "enabled" || row.review_status !== "approved")
        throw new DomainError("conflict", "帳號未啟用或已停用，無法重設密碼。");
      const to = await custodianAddress(trx, deps, row.custodian_account_id);
      await trx
        .updateTable("shared_accounts")
        .set({
          password_hash: hash,
          password_changed_at: now,
          updated_at: now,
          // A new password is the way out of a lock from wrong passwords (ADR 0025), not of an admin's lock.
          ...LIFT_WRONG_PASSWORD_LOCK,
        })
        .where("id", "=", row.id)
        .execute();
      await clearUsernameThrottle(trx, row.username, "shared");
      await queuePasswordMail(trx, deps.dataKey, {
        to,
        username: row.username,
        name: row.name,
        password,
        why: "reset",
        key: `${row.id}:${now.getTime()}`,
        now,
      });
      await logChange(trx, actor, now, row.id, "shared_account.reset_password", {
        kind: "data",
        field: "密碼",
        after: "已重設，新密碼寄至保管人信箱",
      });
    });
  }

  /** Admin detail: the account, its agency and its custodian (name, unit, title, phone). */
  async function get(actor: Actor, id: unknown) {
    const sharedId = idOr404(id);
    if (!isAdmin(actor)) throw notFound();
    const row = await db
      .selectFrom("shared_accounts as sa")
      .innerJoin("org_nodes as ag", "ag.id", "sa.agency_id")
      .innerJoin("accounts as c", "c.id", "sa.custodian_account_id")
      .innerJoin("org_nodes as cu", "cu.id", "c.unit_id")
      .select([
        ...SUMMARY_COLUMNS,
        "sa.review_note",
        "sa.reviewed_at",
        "sa.password_changed_at",
        "sa.last_login_at",
        "sa.locked_at",
        "sa.created_at",
        "ag.name as agencyName",
        "c.name as custodianName",
        "c.title as custodianTitle",
        "c.office_phone as custodianPhone",
        "cu.name as custodianUnit",
      ])
      .where("sa.id", "=", sharedId)
      .where(administered(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** 解鎖: the login permission back to 正常使用中. */
  async function unlock(actor: Actor, id: unknown) {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await lockShared(trx, administered(actor), id);
      if (row.login_permission !== "locked") throw new DomainError("conflict", "此帳號未被鎖定，無需解鎖。");
      await trx
        .updateTable("shared_accounts")
        .set({ login_permission: "normal", failed_login_count: 0, locked_at: null, updated_at: now })
        .where("id", "=", row.id)
        .execute();
      await clearUsernameThrottle(trx, row.username, "shared");
      await logChange(trx, actor, now, row.id, "shared_account.unlock", {
        kind: "status",
        field: "帳號登入許可狀態",
        before: sharedPermissionText.locked,
        after: sharedPermissionText.normal,
      });
    });
  }

  /** 我要停用: with a reason; a disabled account no longer counts as held (ACC-4). */
  async function disable(actor: Actor, id: unknown, raw: DisableInput) {
    if (!isAdmin(actor)) throw notFound(); // before the form: anyone else learns nothing
    const { reason } = parseInput(disableSchema, raw, FIX);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const row = await lockShared(trx, administered(actor), id);
      if (row.status === "disabled") throw new DomainError("conflict", "此帳號已停用。");
      await trx
        .updateTable("shared_accounts")
        .set({ status: "disabled", updated_at: now })
        .where("id", "=", row.id)
        .execute();
      await logChange(trx, actor, now, row.id, "shared_account.disable", {
        kind: "status",
        field: "帳號狀態",
        before: sharedStatusText[row.status],
        after: sharedStatusText.disabled,
        reason,
      });
    });
  }

  const reviewing = createSharedReview(deps);

  return {
    apply,
    mine,
    custodianCandidates,
    transfer,
    resetPassword,
    get,
    unlock,
    disable,
    ...createSharedLists(deps),
    ...reviewing,
    /** The approvals inbox's view of unreviewed applications. */
    reviewSource: sharedReviewSource({ db, review: reviewing.review }),
    ...createSharedSignIn({ ...deps, devices: knownDevices(knownDeviceKey(deps.dataKey), "shared") }),
  };
}

export type SharedAccountsService = ReturnType<typeof createSharedAccountsService>;
