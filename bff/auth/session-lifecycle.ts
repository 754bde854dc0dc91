import type { Actor } from "../actor.js";
import { inTransaction } from "../../db/transaction.js";
import type { AuthDeps, RequestMeta, SignInResult } from "./deps.js";
import type { FirstFactor } from "./first-factor.js";
import { LIFT_WRONG_PASSWORD_LOCK } from "./lockout.js";
import { type LoginMethod, recordLogin } from "./login-records.js";
import { newSessionToken, sessionIdOf } from "./sessions.js";

/** A session's life: opened by a sign-in, read on every request, ended by sign-out or a new sign-in. */
export function createSessionLifecycle(deps: AuthDeps, deviceFor: FirstFactor["deviceFor"]) {
  const { db, clock, devices } = deps;

  /**
   * A successful sign-in: failures reset, a lock from wrong passwords lifted (the owner is
   * in), last sign-in set, a session and its login record, and the device becomes known.
   */
  async function openSession(
    accountId: number,
    username: string,
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<SignInResult> {
    const now = clock.now();
    const account = { id: accountId };
    const result = await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({
          last_login_at: now,
          ...LIFT_WRONG_PASSWORD_LOCK,
        })
        .where("id", "=", account.id)
        .execute();
      const { token, id } = newSessionToken();
      const expiresAt = new Date(now.getTime() + deps.sessionMaxHours * 3600_000);
      await trx
        .insertInto("sessions")
        .values({
          id,
          account_id: account.id,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
          ip: meta.ip.slice(0, 64),
          user_agent: meta.userAgent.slice(0, 400),
        })
        .execute();
      await recordLogin(trx, {
        accountId: account.id,
        username,
        method,
        action: "login",
        result: "success",
        ...meta,
        at: now,
        clientId,
      });
      return { token, expiresAt, accountId: account.id };
    });
    const device = devices.issue(accountId, now, deviceFor(meta, accountId)?.deviceId);
    return { ...result, device };
  }

  /**
   * A sign-in to another system from an existing portal session (IDN-6/8): recorded like
   * any sign-in and counted as the account's last sign-in.
   */
  async function recordSessionSignIn(
    actor: Actor,
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<void> {
    const now = clock.now();
    await db.updateTable("accounts").set({ last_login_at: now }).where("id", "=", actor.accountId).execute();
    await recordLogin(db, {
      accountId: actor.accountId,
      username: actor.username,
      method,
      action: "login",
      result: "success",
      ...meta,
      at: now,
      clientId,
    });
  }

  /**
   * Ends the session a browser carried when it signs in again (ADR 0023): every sign-in
   * gets a new token and the old one stops working at once.
   */
  async function dropSession(token: string): Promise<void> {
    if (token.length > 100) return;
    await db.deleteFrom("sessions").where("id", "=", sessionIdOf(token)).execute();
  }

  /** When a live session ends at the latest (its cookie's expiry), or null when it is gone. */
  async function sessionExpiry(token: string): Promise<Date | null> {
    if (token.length > 100) return null;
    const row = await db
      .selectFrom("sessions")
      .select("expires_at")
      .where("id", "=", sessionIdOf(token))
      .where("expires_at", ">", clock.now())
      .executeTakeFirst();
    return row?.expires_at ?? null;
  }

  async function signOut(token: string, meta: RequestMeta): Promise<void> {
    const session = await db
      .deleteFrom("sessions")
      .where("id", "=", sessionIdOf(token))
      .returning("account_id")
      .executeTakeFirst();
    if (!session) return;
    const account = await db
      .selectFrom("accounts")
      .select("username")
      .where("id", "=", session.account_id)
      .executeTakeFirst();
    await recordLogin(db, {
      accountId: session.account_id,
      username: account?.username ?? "",
      method: "password",
      action: "logout",
      result: "success",
      ...meta,
      at: clock.now(),
    });
  }

  /**
   * The actor behind a session cookie, or null. An account that is no longer enabled has
   * no actor, so an admin's disable takes effect at the next request on every app server.
   */
  async function actorFromToken(token: string | undefined, meta: RequestMeta): Promise<Actor | null> {
    if (!token || token.length > 100) return null;
    const now = clock.now();
    const idleSince = new Date(now.getTime() - deps.sessionIdleMinutes * 60_000);
    const row = await db
      .selectFrom("sessions as s")
      .innerJoin("accounts as a", "a.id", "s.account_id")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select([
        "s.id as sessionId",
        "s.last_seen_at",
        "a.id",
        "a.username",
        "a.name",
        "a.role",
        "a.unit_id",
        "u.agency_id",
      ])
      .where("s.id", "=", sessionIdOf(token))
      .where("s.expires_at", ">", now)
      .where("s.last_seen_at", ">", idleSince)
      .where("a.status", "=", "enabled")
      .executeTakeFirst();
    if (!row) return null;
    // Touch at most once a minute: a write per request would cost more than it tells.
    if (now.getTime() - row.last_seen_at.getTime() > 60_000) {
      await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", row.sessionId).execute();
    }
    return {
      accountId: row.id,
      username: row.username,
      name: row.name,
      role: row.role,
      agencyId: row.agency_id,
      unitId: row.unit_id,
      sessionId: row.sessionId,
      ip: meta.ip,
    };
  }

  return { openSession, recordSessionSignIn, dropSession, sessionExpiry, signOut, actorFromToken };
}

export type SessionLifecycle = ReturnType<typeof createSessionLifecycle>;
