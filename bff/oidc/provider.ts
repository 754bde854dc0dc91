import type { JsonWebKey } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import Provider from "oidc-provider";
import type { Database } from "../../db/index.js";
import type { Logger } from "../jobs/worker.js";
import type { Clock } from "../ports/clock.js";
import { readSessionCookie, sessionClearCookies } from "../auth/session-cookie.js";
import { backchannelLogoutFetch } from "../outbound/backchannel-logout.js";
import { findGrantId, kyselyAdapterFactory } from "./adapter.js";
import { clientName, clientPreApproved, verifyClientSecret } from "./clients.js";
import { ensureSigningKeys, loadSecretList, readSigningKeys } from "./keys.js";
import { providerFollowingKeys } from "./key-cache.js";
import { continueLogoutPage, errorPage, loggedOutPage, logoutPage, type PageStyle } from "./pages.js";
import { createSsoSessions, type ProviderSession } from "./sso-sessions.js";

/** What each scope releases (IDN-6 claims). `openid` alone gives only `sub`. */
export const SCOPE_CLAIMS: Record<string, string[]> = {
  profile: ["name", "preferred_username"],
  email: ["email"],
  agency: ["agency", "unit", "title"],
  role: ["role"],
};

/**
 * Scopes a system may be granted: OIDC ones, the claim scopes above, and `verify` for
 * servers that check usernames and passwords (IDN-7).
 */
export const SCOPES = ["openid", "offline_access", ...Object.keys(SCOPE_CLAIMS), "verify"];

export const CLAIM_LABELS: Record<string, string> = {
  sub: "帳號識別碼",
  name: "姓名",
  preferred_username: "帳號",
  email: "電子郵件",
  agency: "機關",
  unit: "單位",
  title: "職稱",
  role: "角色",
};

const TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 3600,
  IdToken: 3600,
  Interaction: 3600,
  Grant: 14 * 24 * 3600,
  RefreshToken: 14 * 24 * 3600,
  Session: 12 * 3600,
};
/**
 * A retired signing key stays published this long: longer than any JWT it signed lives
 * (an ID token, an hour), with room for a server that re-reads its keys a minute late.
 */
export const RETIRED_KEY_KEEP_SECONDS = 2 * TTL.IdToken;
/**
 * How long a server keeps the signing keys it read before reading them again: a rotation
 * is published by, and a new key signs on, every server within this bound (no restart).
 */
export const KEY_CACHE_SECONDS = 60;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface OidcDeps {
  db: Database;
  clock: Clock;
  logger: Logger;
  issuer: string;
  dataKey: Buffer;
  trustProxy: boolean;
  officialMailDomain: string;
  secureCookies: boolean;
  /**
   * Ends a portal session by its token (one sign-out, ADR 0023): a sign-out confirmed at
   * /oidc/session/end ends the portal session of the same browser.
   */
  endPortalSession?: (token: string, meta: { ip: string; userAgent: string }) => Promise<void>;
}

/**
 * The OpenID Connect provider (IDN-6), mounted at /oidc. Its state lives in PostgreSQL;
 * accounts are the portal's (sub = accounts.public_id); the sign-in and consent screens
 * are portal pages at /sso/interaction/:uid.
 */
export async function createOidcProvider(deps: OidcDeps) {
  const { db, clock } = deps;
  const now = clock.now();
  await ensureSigningKeys(db, deps.dataKey, now);
  const readKeys = () =>
    readSigningKeys(db, deps.dataKey, clock.now(), { retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS });
  const cookieKeys = await loadSecretList(db, deps.dataKey, "oidc_cookie_keys", now);
  const style: PageStyle = { stylesheets: [] };
  const issuerOrigin = new URL(deps.issuer).origin;
  const outbound = backchannelLogoutFetch({ db });
  // `keyed` is read only when a request runs, after it is set below.
  const sso = createSsoSessions({
    db,
    logger: deps.logger,
    secureCookies: deps.secureCookies,
    current: () => current(),
  });

  async function findAccount(_ctx: unknown, sub: string) {
    if (typeof sub !== "string" || !UUID_RE.test(sub)) return undefined;
    const row = await db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .innerJoin("org_nodes as g", "g.id", "u.agency_id")
      .select([
        "a.public_id",
        "a.username",
        "a.name",
        "a.title",
        "a.role",
        "a.needs_official_mail",
        "a.backup_email",
        "u.name as unit",
        "g.name as agency",
      ])
      .where("a.public_id", "=", sub)
      .where("a.status", "=", "enabled")
      .where("a.login_permission", "=", "normal")
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      accountId: row.public_id,
      claims: () => ({
        sub: row.public_id,
        name: row.name,
        preferred_username: row.username,
        email: row.needs_official_mail ? `${row.username}@${deps.officialMailDomain}` : (row.backup_email ?? undefined),
        agency: row.agency,
        unit: row.unit,
        title: row.title,
        role: row.role,
      }),
    };
  }

  /**
   * oidc-provider takes its keys only at construction, so a changed key set (a rotation
   * published, a new key's turn to sign, a retired key's time to leave) makes a new
   * provider; every other state is in the database or the cookies, which both share.
   */
  const build = (keys: JsonWebKey[]) => {
    const provider = new Provider(deps.issuer, {
      adapter: kyselyAdapterFactory(db, clock),
      findAccount,
      jwks: { keys },
      cookies: {
        keys: cookieKeys,
        long: { signed: true, secure: deps.secureCookies, sameSite: "lax" },
        short: { signed: true, secure: deps.secureCookies, sameSite: "lax" },
      },
      scopes: SCOPES,
      claims: { openid: ["sub"], ...SCOPE_CLAIMS },
      conformIdTokenClaims: true,
      pkce: { required: () => true },
      // Only the authorization code flow: no client here may use implicit or hybrid responses.
      responseTypes: ["code"],
      // Back-channel logout tokens are its only outbound requests: registered URIs only (ADR 0023).
      fetch: outbound,
      ttl: TTL,
      clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
      enabledJWA: {
        // No HS*: those would sign with the client secret, which we keep only as a hash.
        idTokenSigningAlgValues: ["RS256", "ES256"],
        userinfoSigningAlgValues: ["RS256", "ES256"],
        introspectionSigningAlgValues: ["RS256", "ES256"],
        authorizationSigningAlgValues: ["RS256", "ES256"],
        requestObjectSigningAlgValues: ["RS256", "ES256"],
        clientAuthSigningAlgValues: ["RS256", "ES256"],
      },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        userinfo: { enabled: true },
        backchannelLogout: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: any, form: string) => {
            ctx.type = "html";
            ctx.body = logoutPage(style, form, ctx.oidc.client?.clientName as string | undefined);
          },
          postLogoutSuccessSource: (ctx: any) => {
            ctx.type = "html";
            ctx.body = loggedOutPage(style);
          },
        },
      },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/sso/interaction/${interaction.uid}` },
      // Remembered consent: an account's grant for a system outlives the provider session.
      loadExistingGrant: async (ctx: any) => {
        const grantId =
          ctx.oidc.result?.consent?.grantId ??
          ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId) ??
          (ctx.oidc.session.accountId
            ? await findGrantId(db, ctx.oidc.session.accountId, ctx.oidc.client.clientId, clock.now())
            : undefined);
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
      // A system registered for refresh tokens gets them; its registration is the consent.
      issueRefreshToken: (_ctx: unknown, client: any) => client.grantTypeAllowed("refresh_token"),
      renderError: (ctx: any, out: { error?: string; error_description?: string }) => {
        ctx.type = "html";
        ctx.body = errorPage(style, out.error);
      },
    });
    provider.proxy = deps.trustProxy;
    // Every URL the provider writes (discovery, redirects to its own endpoints) starts with
    // the issuer's origin (PUBLIC_ORIGIN), whatever Host header the request carried.
    provider.use(async (ctx: any, next: () => Promise<void>) => {
      Object.defineProperty(ctx, "href", {
        configurable: true,
        get: () => new URL((ctx.req.originalUrl ?? ctx.originalUrl) as string, issuerOrigin).href,
      });
      await next();
    });
    provider.use(endsPortalSession);
    // ADR 0033: which portal session shares a browser with which SSO session.
    provider.use(sso.linksPortalSession);
    provider.use(async (ctx: any, next: () => Promise<void>) => {
      await next();
      // The provider's self-posting form (no session left to confirm) in English: ours instead.
      if (
        ctx.oidc?.route === "end_session" &&
        typeof ctx.body === "string" &&
        ctx.body.includes("Submitting Callback")
      ) {
        const nonce = (ctx.res as { locals?: { cspNonce?: string } }).locals?.cspNonce;
        ctx.body = continueLogoutPage(
          style,
          ctx.oidc.urlFor("end_session_confirm"),
          String(ctx.oidc.session.state?.secret ?? ""),
          nonce,
        );
      }
    });
    provider.on("end_session.success", (ctx: any) => {
      // Marked here, acted on in endsPortalSession once the provider's handler returns.
      if (ctx.oidc?.params?.logout) ctx.state.endPortalSession = true;
    });
    provider.on("backchannel.error", (_ctx: unknown, err: Error, client: { clientId: string }) =>
      deps.logger.error("back-channel logout not delivered", { clientId: client?.clientId, err: String(err) }),
    );
    // Secrets are stored as hashes: compare the hash of what the client presents.
    provider.Client.prototype.compareClientSecret = function compare(this: { clientSecret?: string }, actual: unknown) {
      return verifyClientSecret(this.clientSecret, actual);
    };
    // With the request id the app's first middleware gave the request (ADR 0029).
    provider.on("server_error", (ctx: { res?: { locals?: { requestInfo?: { id?: string } } } }, err: Error) =>
      deps.logger.error("oidc server error", {
        requestId: ctx?.res?.locals?.requestInfo?.id,
        err: String(err),
        stack: err?.stack,
      }),
    );
    return provider;
  };
  /**
   * After a sign-out confirmed at /oidc/session/end (the provider's end_session.success
   * with logout=yes): the portal session of the same browser ends too, and its cookie.
   */
  async function endsPortalSession(ctx: any, next: () => Promise<void>) {
    await next();
    if (!ctx.state.endPortalSession) return;
    const found = await readSessionCookie(ctx.get("cookie") as string, deps.secureCookies);
    try {
      if (found && deps.endPortalSession) {
        await deps.endPortalSession(found.token, {
          ip: String(ctx.ip ?? ""),
          userAgent: String(ctx.get("user-agent")),
        });
      }
    } catch (err) {
      deps.logger.error("portal session not ended at sso sign-out", { err: String(err) });
    }
    for (const c of await sessionClearCookies(deps.secureCookies)) ctx.append("Set-Cookie", c);
  }

  /**
   * endBrowserSession's work: the provider's end_session with logout=yes, minus the page.
   * A session kept because it is the same person's is linked to their new portal session.
   */
  async function endSession(req: IncomingMessage, res: ServerResponse, opts: EndBrowserSessionOptions) {
    const provider = current();
    const session = (await provider.Session.get(provider.createContext(req, res))) as ProviderSession & {
      new?: boolean;
    };
    if (session.new || !session.accountId) return;
    if (opts.unlessAccount && session.accountId === opts.unlessAccount) {
      if (opts.portalToken) await sso.link(opts.portalToken, session);
      return;
    }
    await sso.end(session);
  }

  const keyed = providerFollowingKeys({
    initial: await readKeys(),
    load: readKeys,
    build,
    clock,
    logger: deps.logger,
    ttlMs: KEY_CACHE_SECONDS * 1000,
  });
  /** The provider of the key set read last; the interaction steps below never sign. */
  const current = () => keyed.current();
  const refreshTokenAllowed = async (clientId: string) =>
    Boolean((await current().Client.find(clientId))?.grantTypeAllowed("refresh_token"));

  return {
    /** The provider built from the key set read last (a getter: it changes after a rotation). */
    get provider() {
      return current();
    },
    /** Mounted at /oidc: re-reads the key set once it is older than KEY_CACHE_SECONDS. */
    callback: keyed.callback,
    /** Re-reads the key set now, whatever its age (tests; after a rotation on this server). */
    refreshKeys: keyed.refresh,
    /** The portal's built stylesheets, for the provider's own pages (set once the build is loaded). */
    useStylesheets(hrefs: string[]) {
      style.stylesheets = hrefs;
    },
    /**
     * One sign-out (ADR 0023): ends the single sign-on session this browser carries, as a
     * confirmed /oidc/session/end would. Systems with a back-channel logout URI get a logout
     * token (sid included); tokens of sessions without offline access are revoked. Delivery
     * failures are logged, never thrown: they must not keep anyone signed in.
     * `unlessAccount`: keep the session when it is that account's (a re-sign-in by the same person),
     * then linked to the new portal session `portalToken` (ADR 0033).
     */
    async endBrowserSession(req: IncomingMessage, res: ServerResponse, opts: EndBrowserSessionOptions = {}) {
      try {
        await endSession(req, res, opts);
      } catch (err) {
        // The portal's own sign-out goes on; an SSO session left behind still expires (TTL.Session).
        deps.logger.error("sso session not ended at portal sign-out", { err: String(err) });
      }
    },
    /**
     * ADR 0033: ends the SSO session of another browser, found by the uid its portal session
     * recorded (ending a session from 登入裝置與授權), or all of an account's (an admin's).
     * Failures are logged, never thrown: the portal session ends regardless.
     */
    async endSsoSession(uid: string | null) {
      if (!uid) return;
      try {
        await sso.endByUid(uid);
      } catch (err) {
        deps.logger.error("sso session not ended with its portal session", { err: String(err) });
      }
    },
    async endAccountSsoSessions(publicId: string) {
      try {
        await sso.endAllOf(publicId);
      } catch (err) {
        deps.logger.error("sso sessions not ended for the account", { err: String(err) });
      }
    },
    /** The pending sign-in or consent behind the interaction cookie, with what it asks. */
    async interaction(req: IncomingMessage, res: ServerResponse) {
      const details = await current().interactionDetails(req, res);
      const clientId = String(details.params.client_id ?? "");
      const requested = String(details.params.scope ?? "")
        .split(" ")
        .filter((s) => SCOPES.includes(s));
      const claims = ["sub", ...requested.flatMap((s) => SCOPE_CLAIMS[s] ?? [])];
      return {
        uid: details.uid as string,
        prompt: details.prompt.name as "login" | "consent",
        forceLogin: String(details.params.prompt ?? "")
          .split(" ")
          .includes("login"),
        accountId: (details.session?.accountId as string | undefined) ?? undefined,
        clientId,
        clientName: (await clientName(db, clientId)) ?? clientId,
        preApproved: await clientPreApproved(db, clientId),
        claims: claims.map((c) => ({ claim: c, label: CLAIM_LABELS[c] ?? c })),
        // Offline access asked for, or a refresh token due anyway (issueRefreshToken below):
        // either way the system keeps access after the person leaves, so consent must say so.
        offline: requested.includes("offline_access") || (await refreshTokenAllowed(clientId)),
        /** How long a refresh token lasts: the consent page names it (offline access). */
        offlineDays: TTL.RefreshToken / 86_400,
      };
    },
    /**
     * The other system's origin for the CSP form-action of a page whose form ends in a
     * redirect to it: the interaction pages (its redirect_uri, already checked by the
     * provider) and the sign-out confirmation (its post_logout_redirect_uri).
     */
    async formTarget(path: string, query: Record<string, unknown>): Promise<string | undefined> {
      let target: unknown;
      const m = /^\/sso\/interaction\/([A-Za-z0-9_-]{1,100})$/.exec(path);
      if (m) {
        const interaction = await current().Interaction.find(m[1]);
        target = interaction?.params?.redirect_uri;
      } else if (path === "/oidc/session/end") {
        target = query.post_logout_redirect_uri;
      }
      if (typeof target !== "string") return undefined;
      try {
        const url = new URL(target);
        return url.protocol === "https:" || url.protocol === "http:" ? url.origin : undefined;
      } catch {
        return undefined;
      }
    },
    /** The stable id other systems know an account by (sub). */
    async publicIdOf(accountId: number): Promise<string> {
      const row = await db
        .selectFrom("accounts")
        .select("public_id")
        .where("id", "=", accountId)
        .executeTakeFirstOrThrow();
      return row.public_id;
    },
    async finishLogin(req: IncomingMessage, res: ServerResponse, accountId: string) {
      return current().interactionResult(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    },
    async finishConsent(req: IncomingMessage, res: ServerResponse) {
      const details = await current().interactionDetails(req, res);
      const { prompt, params, session, grantId: existing } = details;
      if (prompt.name !== "consent" || !session) throw new Error("not a consent interaction");
      const grant = existing
        ? await current().Grant.find(existing)
        : new (current().Grant)({ accountId: session.accountId, clientId: params.client_id });
      const d = prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(" "));
      if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(" "));
      }
      const grantId = await grant.save();
      return current().interactionResult(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    },
    async abort(req: IncomingMessage, res: ServerResponse) {
      return current().interactionResult(
        req,
        res,
        { error: "access_denied", error_description: "使用者拒絕授權" },
        { mergeWithLastSubmission: false },
      );
    },
  };
}

interface EndBrowserSessionOptions {
  unlessAccount?: string;
  portalToken?: string;
}

export type OidcService = Awaited<ReturnType<typeof createOidcProvider>>;
