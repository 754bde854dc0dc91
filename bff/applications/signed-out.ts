import { createHash } from "node:crypto";
import type { Database } from "../../db/index.js";
import type { EmailCodePurpose } from "../../db/schema/account-applications.js";
import { passwordProblems } from "../auth/password-policy.js";
import { clearUsernameThrottle } from "../auth/throttle.js";
import { DomainError, onUniqueViolation } from "../errors.js";
import { revokeAccountSso } from "../oidc/revoke.js";
import { type ApplicationDeps, type ClientMeta } from "./deps.js";
import { CODE_SENT, normaliseEmail } from "./email-codes.js";
import { applicationColumns, parseAccountFields, USERNAME_RE } from "./fields.js";
import { notifyReviewers, type Reviewer } from "./notify.js";
import { inTransaction } from "../../db/transaction.js";
import { LIFT_WRONG_PASSWORD_LOCK } from "../auth/lockout.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("base64url");
const str = (v: unknown) => (typeof v === "string" ? v : "");

function emailOrRefuse(value: unknown): string {
  const email = normaliseEmail(value);
  if (!email) {
    throw new DomainError("invalid", "請輸入正確的電子郵件。", {
      email: "請輸入正確的電子郵件，例如 name@example.com",
    });
  }
  return email;
}

function usernameOrRefuse(value: unknown): string {
  const username = str(value).trim().toLowerCase();
  if (!USERNAME_RE.test(username)) throw new DomainError("invalid", "請輸入正確的帳號。", { username: "請輸入帳號" });
  return username;
}

function newPassword(input: { password: unknown; confirm: unknown }, username: string): string {
  const password = str(input.password);
  const fields: Record<string, string> = {};
  const problems = passwordProblems(password, username);
  if (password === "") fields.password = "請輸入新密碼";
  else if (problems.length > 0) fields.password = problems.join("；");
  if (password !== "" && str(input.confirm) !== password) fields.confirm = "兩次輸入的密碼不一致";
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return password;
}

/** A username already taken by an account or an open new-account application. */
async function usernameTaken(db: Database, username: string, exceptApplication?: number): Promise<boolean> {
  const account = await db.selectFrom("accounts").select("id").where("username", "=", username).executeTakeFirst();
  if (account) return true;
  let q = db
    .selectFrom("account_applications")
    .select("id")
    .where("username", "=", username)
    .where("type", "=", "activation")
    .where("status", "in", ["pending", "scheduled"]);
  if (exceptApplication) q = q.where("id", "!=", exceptApplication);
  return (await q.executeTakeFirst()) !== undefined;
}

const TAKEN = { username: "此帳號已有人使用或申請中，請換一個" };

/**
 * The signed-out flows: ACC-1 apply, ACC-2 edit a pending application, ACC-3 activate,
 * ACC-6 reactivate (backup e-mail), forgot password, ACC-18 agency admin lookup.
 */
export function createSignedOutFlows(deps: ApplicationDeps) {
  const { db, clock, codes } = deps;

  /**
   * Step 1 of every flow: mail a code. Whether the address qualifies (a pending
   * application, a disabled or enabled account) decides only whether the mail goes out;
   * the answer, the rate limits and the stored row are the same either way.
   */
  async function requestCode(
    purpose: EmailCodePurpose,
    input: { email: unknown; username?: unknown },
    meta: ClientMeta,
  ): Promise<{ message: string; email: string; username: string }> {
    const email = emailOrRefuse(input.email);
    const username = purpose === "reactivate" || purpose === "reset" ? usernameOrRefuse(input.username) : "";
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      let deliver = true;
      let accountId: number | null = null;
      if (purpose === "edit") {
        const pending = await trx
          .selectFrom("account_applications")
          .select("id")
          .where((eb) => eb.fn("lower", ["backup_email"]), "=", email)
          .where("status", "=", "pending")
          .where("type", "in", ["activation", "reactivation"])
          .executeTakeFirst();
        deliver = pending !== undefined;
      } else if (purpose === "reactivate" || purpose === "reset") {
        const account = await trx
          .selectFrom("accounts")
          .select(["id", "status"])
          .where("username", "=", username)
          .where((eb) => eb.fn("lower", ["backup_email"]), "=", email)
          .executeTakeFirst();
        const wanted = purpose === "reactivate" ? "disabled" : "enabled";
        accountId = account?.status === wanted ? account.id : null;
        deliver = accountId !== null;
      }
      await codes.request(trx, { purpose, email, accountId, deliver }, { ip: meta.ip, now });
    });
    return { message: CODE_SENT, email, username };
  }

  /** Step 2: the code becomes a proof the next form carries. */
  async function verifyCode(purpose: EmailCodePurpose, input: { email: unknown; code: unknown }) {
    const email = emailOrRefuse(input.email);
    const proof = await codes.verify(db, { purpose, email, code: input.code }, clock.now());
    return { proof, email };
  }

  /** ACC-1: the application, once the backup address is proved. Waits for the unit's agency admins. */
  async function apply(input: Record<string, unknown>): Promise<{ id: number; reviewer: Reviewer }> {
    const now = clock.now();
    const { email } = await codes.consumeProof(db, { purpose: "apply", proof: input.proof, peek: true }, now);
    const f = await parseAccountFields(db, input, { backupEmail: email });
    if (await usernameTaken(db, f.username)) throw new DomainError("invalid", "此帳號已有人使用。", TAKEN);
    return inTransaction(db, async (trx) => {
      await codes.consumeProof(trx, { purpose: "apply", proof: input.proof }, now);
      const row = await trx
        .insertInto("account_applications")
        .values({ type: "activation", ...applicationColumns(f), submitted_at: now, updated_at: now })
        .returning("id")
        .executeTakeFirstOrThrow()
        // Two applicants racing for one username: the unique index decides.
        .catch(onUniqueViolation(() => new DomainError("invalid", "此帳號已有人使用。", TAKEN)));
      const reviewer = await notifyReviewers(deps, trx, { id: row.id, type: "activation", ...f }, now);
      return { ...row, reviewer };
    });
  }

  /** ACC-2: the pending application of a proved address, to prefill the edit form. */
  async function pendingFor(proof: unknown) {
    const now = clock.now();
    const { email } = await codes.consumeProof(db, { purpose: "edit", proof, peek: true }, now);
    const app = await db
      .selectFrom("account_applications")
      .selectAll()
      .where((eb) => eb.fn("lower", ["backup_email"]), "=", email)
      .where("status", "=", "pending")
      .where("type", "in", ["activation", "reactivation"])
      .orderBy("id", "desc")
      .executeTakeFirst();
    if (!app) throw new DomainError("conflict", "這個信箱目前沒有未審核的申請；已審核的申請無法修改。");
    return app;
  }

  /** ACC-2: edit before review. Only while still 未審核 (conditional update). */
  async function editPending(input: Record<string, unknown>): Promise<{ id: number; reviewer: Reviewer }> {
    const now = clock.now();
    const app = await pendingFor(input.proof);
    const f = await parseAccountFields(db, input, {
      backupEmail: app.backup_email ?? "",
      // A reactivation is about an existing account: its username stays.
      ...(app.type === "reactivation" ? { username: app.username } : {}),
    });
    if (app.type === "activation" && f.username !== app.username && (await usernameTaken(db, f.username, app.id)))
      throw new DomainError("invalid", "此帳號已有人使用。", TAKEN);
    return inTransaction(db, async (trx) => {
      await codes.consumeProof(trx, { purpose: "edit", proof: input.proof }, now);
      const row = await trx
        .updateTable("account_applications")
        .set({ ...applicationColumns(f), updated_at: now })
        .where("id", "=", app.id)
        .where("status", "=", "pending")
        .returning("id")
        .executeTakeFirst()
        .catch(onUniqueViolation(() => new DomainError("invalid", "此帳號已有人使用。", TAKEN)));
      if (!row) throw new DomainError("conflict", "申請已審核，無法再修改。");
      const reviewer = await notifyReviewers(
        deps,
        trx,
        { id: app.id, type: app.type, ...f },
        now,
        `edit-${now.getTime()}`,
      );
      return { ...row, reviewer };
    });
  }

  /** ACC-6: the disabled account a proof stands for, to prefill the reactivation form. */
  async function reactivationAccount(proof: unknown) {
    const { accountId } = await codes.consumeProof(db, { purpose: "reactivate", proof, peek: true }, clock.now());
    const account = accountId
      ? await db
          .selectFrom("accounts as a")
          .innerJoin("org_nodes as u", "u.id", "a.unit_id")
          .select([
            "a.id",
            "a.username",
            "a.name",
            "a.title",
            "a.unit_id",
            "u.agency_id",
            "a.office_phone",
            "a.office_ext",
            "a.work_address",
            "a.needs_official_mail",
            "a.backup_email",
            "a.status",
            "a.role",
          ])
          .where("a.id", "=", accountId)
          .executeTakeFirst()
      : undefined;
    if (!account || account.status !== "disabled") throw new DomainError("conflict", "此帳號目前不需要復用。");
    return account;
  }

  /** ACC-6: edited details go to the chosen unit's agency admins for review. */
  async function reactivate(input: Record<string, unknown>): Promise<{ id: number; reviewer: Reviewer }> {
    const now = clock.now();
    const account = await reactivationAccount(input.proof);
    const f = await parseAccountFields(db, input, { username: account.username });
    return inTransaction(db, async (trx) => {
      await codes.consumeProof(trx, { purpose: "reactivate", proof: input.proof }, now);
      const row = await trx
        .insertInto("account_applications")
        .values({
          type: "reactivation",
          account_id: account.id,
          ...applicationColumns(f),
          submitted_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow()
        .catch(
          onUniqueViolation(
            () => new DomainError("conflict", "此帳號已有一筆復用申請等待審核，可使用「修改個人帳號申請內容」修改。"),
          ),
        );
      const reviewer = await notifyReviewers(deps, trx, { id: row.id, type: "reactivation", ...f }, now);
      return { ...row, reviewer };
    });
  }

  /** Forgot password: a new password for the enabled account the proof stands for. */
  async function resetPassword(input: { proof: unknown; password: unknown; confirm: unknown }) {
    const now = clock.now();
    const { accountId } = await codes.consumeProof(db, { purpose: "reset", proof: input.proof, peek: true }, now);
    const account = accountId
      ? await db
          .selectFrom("accounts")
          .select(["id", "username", "status"])
          .where("id", "=", accountId)
          .executeTakeFirst()
      : undefined;
    if (!account || account.status !== "enabled")
      throw new DomainError("invalid", "此帳號無法重設密碼，請聯絡機關管理者。");
    const password = newPassword(input, account.username);
    const hash = await deps.hasher.hash(password);
    await inTransaction(db, async (trx) => {
      await codes.consumeProof(trx, { purpose: "reset", proof: input.proof }, now);
      // Proving the backup address also lifts a lock caused by wrong passwords (not an admin's lock).
      await trx
        .updateTable("accounts")
        .set({
          password_hash: hash,
          password_changed_at: now,
          updated_at: now,
          ...LIFT_WRONG_PASSWORD_LOCK,
        })
        .where("id", "=", account.id)
        .execute();
      // …and the username's sign-in delays (ADR 0025): the owner proved who they are.
      await clearUsernameThrottle(trx, account.username);
      await trx.deleteFrom("sessions").where("account_id", "=", account.id).execute();
      await revokeAccountSso(trx, account.id);
      await deps.directory.passwordSet(trx, { accountId: account.id, password, at: now, by: account.id });
    });
    return { username: account.username };
  }

  /** ACC-3: who an activation link is for, or a refusal that says what to do. */
  async function activationFor(token: unknown) {
    const t = str(token).trim();
    const app =
      t.length >= 20 && t.length <= 100
        ? await db
            .selectFrom("account_applications as aa")
            .innerJoin("accounts as a", "a.id", "aa.account_id")
            .select([
              "aa.id",
              "aa.activation_expires_at",
              "aa.activated_at",
              "a.id as accountId",
              "a.username",
              "a.name",
              "a.status",
            ])
            .where("aa.activation_token_hash", "=", sha256(t))
            .executeTakeFirst()
        : undefined;
    if (!app || app.activated_at || app.status !== "inactive")
      throw new DomainError("invalid", "開通連結無效或已使用。已開通的帳號請直接登入。", { token: "開通碼無效" });
    if (!app.activation_expires_at || app.activation_expires_at <= clock.now())
      throw new DomainError("invalid", "開通連結已過期，請聯絡機關管理者重新寄送。", { token: "開通碼已過期" });
    return app;
  }

  /** ACC-3: the password (policy applies) that turns 未啟用 into 啟用. Once. */
  async function activate(input: { token: unknown; password: unknown; confirm: unknown }) {
    const app = await activationFor(input.token);
    const password = newPassword(input, app.username);
    const hash = await deps.hasher.hash(password);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const used = await trx
        .updateTable("account_applications")
        .set({ activated_at: now, activation_token_hash: null })
        .where("id", "=", app.id)
        .where("activated_at", "is", null)
        .returning("id")
        .executeTakeFirst();
      const account = await trx
        .updateTable("accounts")
        .set({
          password_hash: hash,
          password_changed_at: now,
          status: "enabled",
          status_changed_at: now,
          updated_at: now,
        })
        .where("id", "=", app.accountId)
        .where("status", "=", "inactive")
        .returning("id")
        .executeTakeFirst();
      if (!used || !account) throw new DomainError("invalid", "開通連結無效或已使用。已開通的帳號請直接登入。");
      await deps.directory.accountChanged(trx, { accountId: app.accountId, at: now, by: app.accountId });
      await deps.directory.passwordSet(trx, { accountId: app.accountId, password, at: now, by: app.accountId });
    });
    return { username: app.username };
  }

  /** ACC-18: anyone may see who an agency's admins are — name, unit, title, official phone. */
  async function agencyAdmins(agencyId: unknown) {
    const id = Number(str(agencyId));
    if (!Number.isSafeInteger(id) || id <= 0 || id > 2_147_483_647) return [];
    return db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.name", "a.title", "a.office_phone", "a.office_ext", "u.name as unitName"])
      .where("u.agency_id", "=", id)
      .where("a.role", "=", "agency_admin")
      .where("a.status", "=", "enabled")
      .orderBy("a.name")
      .execute();
  }

  return {
    requestCode,
    verifyCode,
    apply,
    pendingFor,
    editPending,
    reactivationAccount,
    reactivate,
    resetPassword,
    activationFor,
    activate,
    agencyAdmins,
  };
}
