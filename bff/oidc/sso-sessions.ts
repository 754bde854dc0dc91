import type Provider from "oidc-provider";
import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Logger } from "../jobs/worker.js";
import { readSessionCookie } from "../auth/session-cookie.js";
import { sessionIdOf } from "../auth/sessions.js";

interface SessionAuthorization {
  sid?: string;
  grantId?: string;
  persistsLogout?: boolean;
}

/** oidc-provider's Session, as much of it as the portal touches. */
export interface ProviderSession {
  uid: string;
  accountId?: string;
  authorizations?: Record<string, SessionAuthorization>;
  destroyed?: boolean;
  destroy(): Promise<void>;
}

/** The provider routes after which a browser holds a signed-in SSO session worth linking. */
const LINKING_ROUTES = new Set(["authorization", "resume"]);

/**
 * Single sign-on sessions by themselves (ADR 0023 one sign-out, ADR 0033 登入裝置與授權):
 * ending one as a confirmed /oidc/session/end would, whether the browser is at hand or not,
 * and remembering which portal session shares a browser with which SSO session.
 */
export function createSsoSessions(deps: {
  db: Database;
  logger: Logger;
  secureCookies: boolean;
  current: () => Provider;
}) {
  const { db, logger } = deps;

  /**
   * Systems with a back-channel logout URI get a logout token (sid included); tokens of
   * authorizations without offline access are revoked (the provider's `persistsLogout`);
   * the session is destroyed. Delivery failures are logged: they never keep anyone signed in.
   */
  async function end(session: ProviderSession): Promise<void> {
    const provider = deps.current();
    await Promise.all(
      Object.entries(session.authorizations ?? {}).map(async ([clientId, auth]) => {
        try {
          const client = await provider.Client.find(clientId);
          if (client?.backchannelLogoutUri) await client.backchannelLogout(session.accountId, auth.sid);
        } catch (err) {
          logger.error("back-channel logout not delivered", { clientId, err: String(err) });
        }
        if (auth.grantId && !auth.persistsLogout) await provider.AccessToken.adapter.revokeByGrantId(auth.grantId);
      }),
    );
    await session.destroy();
  }

  /** Ends the SSO session with this uid, if it is still alive. */
  async function endByUid(uid: string): Promise<void> {
    const session = (await deps.current().Session.findByUid(uid)) as ProviderSession | undefined;
    if (session?.accountId) await end(session);
  }

  /** Every SSO session of an account (an admin's 結束所有登入), on every device. */
  async function endAllOf(publicId: string): Promise<void> {
    const rows = await db
      .selectFrom("oidc_payloads")
      .select("uid")
      .where("model", "=", "Session")
      .where(sql<string>`payload->>'accountId'`, "=", publicId)
      .execute();
    for (const { uid } of rows) if (uid) await endByUid(uid);
  }

  /** Records that the portal session behind `portalToken` shares its browser with `session`. */
  async function link(portalToken: string, session: Pick<ProviderSession, "uid" | "accountId">): Promise<void> {
    if (!session.accountId || portalToken.length > 100) return;
    await db
      .updateTable("sessions")
      .set({ sso_session_uid: session.uid })
      .where("id", "=", sessionIdOf(portalToken))
      .where((eb) => eb.or([eb("sso_session_uid", "is", null), eb("sso_session_uid", "<>", session.uid)]))
      // Only the same person's: a portal session of someone else is ended at sign-in anyway.
      .where("account_id", "=", (eb) =>
        eb
          .selectFrom("accounts")
          .select("accounts.id")
          .where(sql<string>`accounts.public_id::text`, "=", session.accountId!),
      )
      .execute();
  }

  /**
   * Provider middleware: after an authorization request that leaves the browser signed in
   * (a code issued, a sign-in resumed), the portal session named by the same request's
   * cookie is linked to it. One conditional write per authorization, none per portal page.
   */
  async function linksPortalSession(ctx: any, next: () => Promise<void>) {
    await next();
    const session = ctx.oidc?.session as ProviderSession | undefined;
    if (!session || session.destroyed || !session.accountId || !LINKING_ROUTES.has(ctx.oidc.route)) return;
    try {
      const found = await readSessionCookie(ctx.get("cookie") as string, deps.secureCookies);
      if (found) await link(found.token, session);
    } catch (err) {
      logger.error("portal session not linked to its sso session", { err: String(err) });
    }
  }

  return { end, endByUid, endAllOf, link, linksPortalSession };
}

export type SsoSessions = ReturnType<typeof createSsoSessions>;
