import { createHash } from "node:crypto";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { manageable } from "../accounts/target.js";
import type { AccountRef } from "../accounts/deps.js";
import { DomainError } from "../errors.js";
import { type FormInput, parseInput } from "../validation.js";
import type { DevicesDeps } from "./deps.js";
import { endSessionSchema } from "./schemas.js";
import { describeUserAgent } from "./user-agent.js";

/**
 * What a page may name a session by: derived from its id (itself the hash of the cookie's
 * token), so the id that keys the table never reaches a page, and nothing shown can be
 * turned back into a cookie.
 */
export const sessionHandle = (id: string) =>
  createHash("sha256").update(`session-handle:${id}`).digest("base64url").slice(0, 16);

/** An account's sessions still in force: not past their expiry, not idle too long. */
function liveSessions(deps: DevicesDeps, accountId: number) {
  const now = deps.clock.now();
  return deps.db
    .selectFrom("sessions")
    .select(["id", "created_at", "last_seen_at", "ip", "user_agent", "sso_session_uid"])
    .where("account_id", "=", accountId)
    .where("expires_at", ">", now)
    .where("last_seen_at", ">", new Date(now.getTime() - deps.sessionIdleMinutes * 60_000))
    .orderBy("last_seen_at", "desc")
    .execute();
}

/** 我的 › 登入裝置與授權: each live session of mine, this device first. */
export async function mySessions(deps: DevicesDeps, actor: Actor) {
  const rows = await liveSessions(deps, actor.accountId);
  return rows
    .map((r) => ({
      handle: sessionHandle(r.id),
      current: r.id === actor.sessionId,
      device: describeUserAgent(r.user_agent),
      ip: r.ip,
      signedInAt: r.created_at,
      lastSeenAt: r.last_seen_at,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** Deletes sessions and ends the SSO sessions they recorded, except the one this browser keeps. */
async function endSessions(
  deps: DevicesDeps,
  actor: Actor,
  rows: { id: string; sso_session_uid: string | null; user_agent: string; ip: string }[],
  audit: { action: string; accountId: number; keepSsoUid?: string | null },
) {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (trx) => {
    if (rows.length > 0)
      await trx
        .deleteFrom("sessions")
        .where(
          "id",
          "in",
          rows.map((r) => r.id),
        )
        .execute();
    await writeAudit(trx, actor, now, {
      action: audit.action,
      targetType: "account",
      targetId: audit.accountId,
      detail: { count: rows.length, devices: rows.map((r) => `${describeUserAgent(r.user_agent).label} ${r.ip}`) },
    });
  });
  // After the commit: the portal sessions are gone whatever the provider or a system answers.
  for (const r of rows) if (r.sso_session_uid !== audit.keepSsoUid) await deps.sso.endSsoSession(r.sso_session_uid);
}

async function currentSsoUid(deps: DevicesDeps, actor: Actor) {
  const row = await deps.db
    .selectFrom("sessions")
    .select("sso_session_uid")
    .where("id", "=", actor.sessionId)
    .executeTakeFirst();
  return row?.sso_session_uid ?? null;
}

/** 結束: one of my other sessions, with its single sign-on session. */
export async function endMySession(deps: DevicesDeps, actor: Actor, raw: FormInput<typeof endSessionSchema>) {
  const input = parseInput(endSessionSchema, raw);
  const rows = await liveSessions(deps, actor.accountId);
  const row = rows.find((r) => sessionHandle(r.id) === input.session);
  if (!row) throw new DomainError("conflict", "這個裝置的登入已經結束。");
  if (row.id === actor.sessionId) throw new DomainError("invalid", "要結束目前這個裝置的登入，請使用「登出」。");
  const keep = await currentSsoUid(deps, actor);
  await endSessions(deps, actor, [row], { action: "session.end", accountId: actor.accountId, keepSsoUid: keep });
  return { device: describeUserAgent(row.user_agent).label };
}

/** 登出其他所有裝置: every session of mine but this one. */
export async function endMyOtherSessions(deps: DevicesDeps, actor: Actor) {
  const others = (await liveSessions(deps, actor.accountId)).filter((r) => r.id !== actor.sessionId);
  const keep = await currentSsoUid(deps, actor);
  await endSessions(deps, actor, others, {
    action: "session.end_others",
    accountId: actor.accountId,
    keepSsoUid: keep,
  });
  return { count: others.length };
}

/**
 * 帳號狀態 › 結束所有登入: an admin ends every session of a person in their scope (else 404),
 * and every single sign-on session of theirs, on any device.
 */
export async function endAccountSessions(deps: DevicesDeps, actor: Actor, ref: AccountRef) {
  const account = await manageable(deps, actor, ref, "登入狀態");
  const rows = await liveSessions(deps, account.id);
  await endSessions(deps, actor, rows, { action: "account.end_sessions", accountId: account.id });
  const { public_id } = await deps.db
    .selectFrom("accounts")
    .select("public_id")
    .where("id", "=", account.id)
    .executeTakeFirstOrThrow();
  // Sessions past their idle bound still hold rows: they go too, they are worth nothing.
  await deps.db.deleteFrom("sessions").where("account_id", "=", account.id).execute();
  await deps.sso.endAccountSsoSessions(public_id);
  return { count: rows.length };
}
