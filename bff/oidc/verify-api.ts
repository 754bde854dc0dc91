import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { AuthService, RequestMeta } from "../auth/service.js";
import { isDomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { clientMetadata } from "./clients.js";
import type { OidcService } from "./provider.js";

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

const oauthError = (status: number, error: string, description: string): ApiAnswer => ({
  status,
  body: { error, error_description: description },
  headers: status === 401 || status === 403 ? { "WWW-Authenticate": `Bearer error="${error}"` } : undefined,
});

/**
 * IDN-7 帳號驗證機制: a server holding a client-credentials token with the `verify` scope
 * posts a username and password and learns valid/invalid plus a basic profile. The checks
 * and login records are the portal sign-in's (method "api"), but (issue 14, ADR 25) its
 * failures are throttled per client and username apart from the portal: they never lock
 * the person out. Each client gets `perMinute` checks a minute across all app servers.
 */
export function createVerifyApi(deps: {
  db: Database;
  clock: Clock;
  auth: AuthService;
  oidc: OidcService;
  perMinute: number;
}) {
  const { db, clock, auth, oidc } = deps;
  /**
   * One fixed one-minute window per client, counted in PostgreSQL so every app server
   * shares it (NFR-1). The first request of a window clears that client's old windows.
   * Returns the seconds until the window ends when the client is over its limit.
   */
  async function overLimit(clientId: string): Promise<number | null> {
    const now = clock.now().getTime();
    const start = new Date(Math.floor(now / 60_000) * 60_000);
    const row = await db
      .insertInto("sso_rate_windows")
      .values({ client_id: clientId, window_start: start, count: 1 })
      .onConflict((oc) =>
        oc.columns(["client_id", "window_start"]).doUpdateSet({ count: sql<number>`sso_rate_windows.count + 1` }),
      )
      .returning("count")
      .executeTakeFirstOrThrow();
    if (row.count === 1) {
      await db
        .deleteFrom("sso_rate_windows")
        .where("client_id", "=", clientId)
        .where("window_start", "<", start)
        .execute();
    }
    if (row.count <= deps.perMinute) return null;
    return Math.max(1, Math.ceil((start.getTime() + 60_000 - now) / 1000));
  }

  return async function verify(authorization: string | null, body: unknown, meta: RequestMeta): Promise<ApiAnswer> {
    const token = /^Bearer ([A-Za-z0-9._~+/-]{10,500}=*)$/.exec(authorization ?? "")?.[1];
    if (!token) return oauthError(401, "invalid_token", "需要存取權杖");
    const found = await oidc.provider.ClientCredentials.find(token).catch(() => undefined);
    if (!found || found.isExpired || !(await clientMetadata(db, found.clientId))) {
      return oauthError(401, "invalid_token", "存取權杖無效或已過期");
    }
    if (
      !String(found.scope ?? "")
        .split(" ")
        .includes("verify")
    ) {
      return oauthError(403, "insufficient_scope", "此系統未獲准使用帳號驗證");
    }
    const retryAfter = await overLimit(found.clientId);
    if (retryAfter !== null) {
      return {
        status: 429,
        body: { error: "rate_limited", error_description: "請求過於頻繁，請稍後再試" },
        headers: { "Retry-After": String(retryAfter) },
      };
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return oauthError(400, "invalid_request", "請以 JSON 傳送 username 與 password");
    }
    const input = body as Record<string, unknown>;
    if (typeof input.username !== "string" || typeof input.password !== "string") {
      return oauthError(400, "invalid_request", "請以 JSON 傳送 username 與 password");
    }
    try {
      const accountId = await auth.verifyCredentials(
        { username: input.username, password: input.password },
        meta,
        found.clientId,
      );
      const profile = await db
        .selectFrom("accounts as a")
        .innerJoin("org_nodes as u", "u.id", "a.unit_id")
        .innerJoin("org_nodes as g", "g.id", "u.agency_id")
        .select([
          "a.public_id as sub",
          "a.username as preferred_username",
          "a.name",
          "a.title",
          "u.name as unit",
          "g.name as agency",
        ])
        .where("a.id", "=", accountId)
        .executeTakeFirstOrThrow();
      return { status: 200, body: { valid: true, profile } };
    } catch (e) {
      if (!isDomainError(e)) throw e;
      return { status: 200, body: { valid: false, message: e.message } };
    }
  };
}
