import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Database } from "../../db/index.js";

const CLIENT_ID_RE = /^[A-Za-z0-9._-]{8,100}$/;

/**
 * Client secrets are 256 random bits, so a fast hash is enough (no dictionary to guess
 * from); only the hash is stored and compared in constant time.
 */
export function hashClientSecret(secret: string): string {
  return `sha256:${createHash("sha256").update(secret, "utf8").digest("base64url")}`;
}

export function verifyClientSecret(storedHash: string | undefined, presented: unknown): boolean {
  if (typeof storedHash !== "string" || !storedHash.startsWith("sha256:")) return false;
  if (typeof presented !== "string" || presented.length === 0 || presented.length > 500) return false;
  const a = Buffer.from(storedHash, "utf8");
  const b = Buffer.from(hashClientSecret(presented), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface NewClient {
  name: string;
  ownerAgencyId?: number | null;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Where the system hears of a sign-out (OpenID back-channel logout, ADR 0023). */
  backchannelLogoutUri?: string | null;
  grantTypes?: string[];
  scopes?: string[];
  /** A browser-only system without a secret (PKCE alone). */
  public?: boolean;
}

/** Registers a system; the secret is returned once and kept only as a hash. */
export async function registerClient(db: Database, c: NewClient): Promise<{ clientId: string; clientSecret?: string }> {
  const clientId = `tn-${randomBytes(9).toString("base64url")}`;
  const clientSecret = c.public ? undefined : randomBytes(32).toString("base64url");
  await db
    .insertInto("oidc_clients")
    .values({
      client_id: clientId,
      client_secret_hash: clientSecret ? hashClientSecret(clientSecret) : null,
      name: c.name,
      owner_agency_id: c.ownerAgencyId ?? null,
      redirect_uris: JSON.stringify(c.redirectUris ?? []),
      post_logout_redirect_uris: JSON.stringify(c.postLogoutRedirectUris ?? []),
      backchannel_logout_uri: c.backchannelLogoutUri ?? null,
      grant_types: JSON.stringify(c.grantTypes ?? ["authorization_code", "refresh_token"]),
      scopes: JSON.stringify(c.scopes ?? ["openid", "profile"]),
    })
    .execute();
  return { clientId, clientSecret };
}

/** A new secret for a system; the old one stops working at once. */
export async function rotateClientSecret(db: Database, clientId: string): Promise<string | undefined> {
  const clientSecret = randomBytes(32).toString("base64url");
  const row = await db
    .updateTable("oidc_clients")
    .set({ client_secret_hash: hashClientSecret(clientSecret), updated_at: new Date() })
    .where("client_id", "=", clientId)
    .where("client_secret_hash", "is not", null)
    .returning("client_id")
    .executeTakeFirst();
  return row ? clientSecret : undefined;
}

/**
 * oidc-provider's client metadata for an enabled client. client_secret carries the hash:
 * the provider compares it through our override, and HS* algorithms (which would need
 * the plain secret) are turned off.
 */
export async function clientMetadata(db: Database, clientId: string): Promise<Record<string, unknown> | undefined> {
  if (typeof clientId !== "string" || !CLIENT_ID_RE.test(clientId)) return undefined;
  const row = await db
    .selectFrom("oidc_clients")
    .selectAll()
    .where("client_id", "=", clientId)
    .where("enabled", "=", true)
    .executeTakeFirst();
  if (!row) return undefined;
  const grantTypes = row.grant_types as string[];
  const browser = grantTypes.includes("authorization_code");
  return {
    client_id: row.client_id,
    client_name: row.name,
    ...(row.client_secret_hash
      ? { client_secret: row.client_secret_hash, token_endpoint_auth_method: "client_secret_basic" }
      : { token_endpoint_auth_method: "none" }),
    redirect_uris: browser ? (row.redirect_uris as string[]) : [],
    post_logout_redirect_uris: row.post_logout_redirect_uris as string[],
    // With sid, so a system can end just the session it opened for this browser.
    ...(browser && row.backchannel_logout_uri
      ? { backchannel_logout_uri: row.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    grant_types: grantTypes,
    response_types: browser ? ["code"] : [],
    scope: (row.scopes as string[]).join(" "),
  };
}

export async function clientName(db: Database, clientId: string): Promise<string | undefined> {
  if (!CLIENT_ID_RE.test(clientId)) return undefined;
  const row = await db.selectFrom("oidc_clients").select("name").where("client_id", "=", clientId).executeTakeFirst();
  return row?.name;
}

/** IDN-8: an admin approved this system for everyone, so transfer sign-in asks no consent. */
export async function clientPreApproved(db: Database, clientId: string): Promise<boolean> {
  if (!CLIENT_ID_RE.test(clientId)) return false;
  const row = await db
    .selectFrom("oidc_clients")
    .select("pre_approved")
    .where("client_id", "=", clientId)
    .where("enabled", "=", true)
    .executeTakeFirst();
  return row?.pre_approved === true;
}
