import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { callingJob, DeferJob, finished, GiveUpJob, type JobContext, type JobHandlers } from "../jobs/worker.js";
import { decrypt } from "../oidc/data-key.js";
import { splitName } from "./names.js";
import { DirectoryError, type DirectoryPort, type DirectoryUser } from "./port.js";
import { PASSWORD_JOB, SYNC_JOB, wipedPayload } from "./queue.js";
import type { DirectorySettings } from "./settings.js";

/** While AD is not configured a job looks again this often, without counting an attempt. */
export const NOT_CONFIGURED_RECHECK_MS = 60_000;
/** AD away: 10 s doubling, capped at 5 minutes, for ever (these jobs have no max_attempts). */
export const directoryBackoffMs = (attempt: number) => Math.min(5 * 60_000, 10_000 * 2 ** (attempt - 1));

export interface SyncDeps {
  port: DirectoryPort;
  /** Undefined when AD is not configured (then the port refuses and the jobs wait). */
  settings?: DirectorySettings;
  dataKey: Buffer;
  officialMailDomain: string;
}

/**
 * What AD should hold for the account now, read in the job's claim transaction. Undefined for
 * an account that no longer exists. Used by the sync job and by reconcile.
 */
export async function desiredUser(
  db: Database,
  accountId: number,
  deps: Pick<SyncDeps, "settings" | "officialMailDomain">,
): Promise<{ user: DirectoryUser; linked: boolean } | undefined> {
  const row = await db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .innerJoin("org_nodes as ag", "ag.id", "u.agency_id")
    .leftJoin("directory_sync_state as s", "s.account_id", "a.id")
    .select([
      "a.username",
      "a.name",
      "a.title",
      "a.status",
      "a.office_phone",
      "a.office_ext",
      "a.needs_official_mail",
      "a.backup_email",
      "u.name as unit_name",
      "ag.id as agency_id",
      "ag.code as agency_code",
      "s.linked_at",
    ])
    .where("a.id", "=", accountId)
    .executeTakeFirst();
  if (!row) return undefined;
  const settings = deps.settings;
  if (!settings) throw new DirectoryError("not-configured", "AD 尚未設定（AD_URL）");
  const ou =
    (row.agency_code ? settings.ouMap[row.agency_code] : undefined) ??
    settings.ouMap[String(row.agency_id)] ??
    settings.ouMap["*"];
  if (!ou) {
    throw new DirectoryError("mapping", `AD_OU_MAP 沒有機關 ${row.agency_code ?? row.agency_id} 的 OU`);
  }
  const { surname, givenName } = splitName(row.name);
  const phone = row.office_phone.trim();
  return {
    linked: row.linked_at !== null,
    user: {
      username: row.username,
      userPrincipalName: `${row.username}@${settings.upnSuffix}`,
      displayName: row.name,
      surname,
      givenName,
      mail: row.needs_official_mail ? `${row.username}@${deps.officialMailDomain}` : (row.backup_email ?? null),
      title: row.title.trim() || null,
      department: row.unit_name,
      telephoneNumber: phone ? (row.office_ext.trim() ? `${phone}#${row.office_ext.trim()}` : phone) : null,
      // AD follows the portal's 帳號狀態; the portal's own lockout stays in the portal.
      enabled: row.status === "enabled",
      ou,
    },
  };
}

async function recordState(
  db: Database,
  accountId: number,
  now: Date,
  patch: Partial<Record<"dn" | "sync_error" | "sync_error_ldap" | "password_error", string | null>> &
    Partial<Record<"synced_at" | "sync_error_at" | "password_synced_at" | "password_error_at", Date | null>>,
): Promise<void> {
  await db
    .insertInto("directory_sync_state")
    .values({ account_id: accountId, updated_at: now, ...patch })
    .onConflict((oc) => oc.column("account_id").doUpdateSet({ updated_at: now, ...patch }))
    .execute();
}

const accountIdOf = (ctx: JobContext) => Number(ctx.payload?.accountId);

/** What the sync reads in the claim transaction and writes to AD with none open. */
interface SyncInput {
  accountId: number;
  user: DirectoryUser;
  linked: boolean;
}

/** Reads what AD should hold for the account now; undefined for a deleted account. */
async function readDesired(ctx: JobContext, deps: SyncDeps, accountId: number): Promise<SyncInput | undefined> {
  if (!deps.port.configured) throw new DeferJob(NOT_CONFIGURED_RECHECK_MS, "AD 尚未設定（AD_URL）");
  const desired = await desiredUser(ctx.db, accountId, deps);
  return desired && { accountId, ...desired };
}

/** Records that AD matches the account (after the write, in the recording transaction). */
async function recordSynced(ctx: JobContext, accountId: number, dn: string): Promise<void> {
  await recordState(ctx.db, accountId, ctx.now, {
    dn,
    synced_at: ctx.now,
    sync_error: null,
    sync_error_ldap: null,
    sync_error_at: null,
  });
}

/** A failed attempt's reason, kept on the account for the admin page (never a password). */
async function recordSyncFailure(ctx: JobContext, error: unknown): Promise<void> {
  const cause = causeOf(error);
  const err = cause instanceof DirectoryError ? cause : undefined;
  await recordState(ctx.db, accountIdOf(ctx), ctx.now, {
    sync_error: err?.message ?? "同步失敗",
    sync_error_ldap: err?.ldap ?? (error instanceof Error ? error.message.slice(0, 500) : null),
    sync_error_at: ctx.now,
  });
}

/**
 * The port's refusals as job outcomes: "not configured" waits, a policy refusal gives up
 * (retrying cannot help), the rest retry. The job's last_error gets the zh-TW reason and
 * AD's own text; `cause` keeps the DirectoryError for onFailure.
 */
function asJobError(err: unknown): unknown {
  if (!(err instanceof DirectoryError)) return err;
  if (err.category === "not-configured") return new DeferJob(NOT_CONFIGURED_RECHECK_MS, err.message);
  const text = err.ldap ? `${err.message} — ${err.ldap}` : err.message;
  const e = err.category === "password-policy" ? new GiveUpJob(text) : new Error(text);
  if (!(e instanceof GiveUpJob)) e.name = `AD ${err.category}`;
  e.cause = err;
  return e;
}

const causeOf = (error: unknown) => (error instanceof Error && error.cause !== undefined ? error.cause : error);

/** A password sealed under another DATA_KEY can never be read: give up (and wipe) at once. */
function unseal(key: Buffer, sealed: string): string {
  try {
    return decrypt(key, sealed);
  } catch {
    throw new GiveUpJob("無法解密待同步的密碼（DATA_KEY 已變更？）；請使用者重新設定密碼");
  }
}

/** Runs a phase, turning the port's refusals into job outcomes. */
async function asJob<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw asJobError(err);
  }
}

/**
 * Both AD jobs write to AD with no transaction open (ADR 4, ADR 11): the account is read in
 * the claim transaction, LDAP is written after that commits, and the outcome is recorded in
 * a second short transaction. Two jobs of one account never run at once: they share the
 * serial key `ad-account:<id>` (bff/directory/queue.ts), and the worker claims no job whose
 * key has one running.
 */
export function directoryJobHandlers(deps: SyncDeps): JobHandlers {
  return {
    [SYNC_JOB]: callingJob({
      callsOut: true,
      backoffMs: directoryBackoffMs,
      async prepare(ctx) {
        const input = await asJob(() => readDesired(ctx, deps, accountIdOf(ctx)));
        return input ? { call: input } : finished({ skipped: "account deleted" });
      },
      call: (input) => asJob(() => deps.port.createOrUpdate(input.user, { adopt: input.linked })),
      async record(ctx, outcome, input) {
        await recordSynced(ctx, input.accountId, outcome.dn);
        return { username: input.user.username, ...outcome };
      },
      async onFailure(ctx, { error, outcome }) {
        if (outcome !== "deferred") await recordSyncFailure(ctx, error);
      },
    }),
    [PASSWORD_JOB]: callingJob({
      callsOut: true,
      backoffMs: directoryBackoffMs,
      async prepare(ctx) {
        const accountId = accountIdOf(ctx);
        const newer = await ctx.db
          .selectFrom("jobs")
          .select("id")
          .where("kind", "=", PASSWORD_JOB)
          .where("state", "=", "pending")
          .where(sql<string>`payload->>'accountId'`, "=", String(accountId))
          .where("id", ">", ctx.job.id)
          .executeTakeFirst();
        if (newer) {
          await wipe(ctx, accountId);
          return finished({ superseded: true });
        }
        if (typeof ctx.payload?.sealed !== "string") return finished({ skipped: "no password" });
        // The user must exist (and be where the portal wants it) before it gets a password.
        const input = await asJob(() => readDesired(ctx, deps, accountId));
        if (!input) return finished({ skipped: "account deleted" });
        return { call: { ...input, password: unseal(deps.dataKey, ctx.payload.sealed) } };
      },
      call: (input) =>
        asJob(async () => {
          const outcome = await deps.port.createOrUpdate(input.user, { adopt: input.linked });
          await deps.port.setPassword(input.user.username, input.password);
          return outcome;
        }),
      async record(ctx, outcome, input) {
        await wipe(ctx, input.accountId);
        await recordSynced(ctx, input.accountId, outcome.dn);
        await recordState(ctx.db, input.accountId, ctx.now, {
          password_synced_at: ctx.now,
          password_error: null,
          password_error_at: null,
        });
        return { passwordSet: true };
      },
      async onFailure(ctx, { error, outcome }) {
        if (outcome === "deferred") return;
        const accountId = accountIdOf(ctx);
        const cause = causeOf(error);
        const message =
          cause instanceof DirectoryError ? cause.message : error instanceof GiveUpJob ? error.message : "密碼同步失敗";
        await recordState(ctx.db, accountId, ctx.now, { password_error: message, password_error_at: ctx.now });
        // Given up: the encrypted password leaves the database with the job.
        if (outcome === "dead") await wipe(ctx, accountId);
      },
    }),
  };
}

/** Replaces a password job's payload by one without the sealed password. */
async function wipe(ctx: JobContext, accountId: number): Promise<void> {
  await ctx.db
    .updateTable("jobs")
    .set({ payload: JSON.stringify(wipedPayload(accountId)) })
    .where("id", "=", ctx.job.id)
    .execute();
}
