import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { parseInput } from "../validation.js";
import { rotateClientSecret } from "./clients.js";
import { inTransaction } from "../../db/transaction.js";
import { type BackchannelInput, backchannelSchema, type TransferInput, transferSchema } from "./schemas.js";

const CLIENT_ID_RE = /^[A-Za-z0-9._-]{8,100}$/;
const RECENT_SIGN_INS = 50;

/**
 * Ends everything the provider keeps for one system: grants (remembered consent), codes,
 * access, refresh and client-credentials tokens all carry its clientId.
 */
export async function revokeClientSso(db: Database, clientId: string): Promise<void> {
  await db
    .deleteFrom("oidc_payloads")
    .where(sql<string>`payload->>'clientId'`, "=", clientId)
    .execute();
}

/**
 * IDN-6 client administration (system admins only): list, disable/enable, rotate the
 * secret, transfer sign-in settings, recent sign-ins. Every change is audited.
 */
export function createClientAdmin(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  async function find(actor: Actor, rawId: unknown) {
    requireSysAdmin(actor);
    if (typeof rawId !== "string" || !CLIENT_ID_RE.test(rawId)) throw notFound();
    const row = await db
      .selectFrom("oidc_clients as c")
      .leftJoin("org_nodes as g", "g.id", "c.owner_agency_id")
      .select([
        "c.client_id",
        "c.name",
        "c.enabled",
        "c.disabled_at",
        "c.pre_approved",
        "c.initiate_login_uri",
        "c.backchannel_logout_uri",
        "c.redirect_uris",
        "c.grant_types",
        "c.scopes",
        "c.created_at",
        "c.client_secret_hash",
        "g.name as agency",
      ])
      .where("c.client_id", "=", rawId)
      .executeTakeFirst();
    if (!row) throw notFound();
    const { client_secret_hash, ...rest } = row;
    return {
      ...rest,
      confidential: client_secret_hash !== null,
      redirect_uris: row.redirect_uris as string[],
      grant_types: row.grant_types as string[],
      scopes: row.scopes as string[],
    };
  }

  const audit = (trx: Tx, actor: Actor, action: string, clientId: string, detail: Record<string, unknown> = {}) =>
    writeAudit(trx, actor, clock.now(), { action, targetType: "oidc_client", targetId: clientId, detail });

  return {
    async list(actor: Actor) {
      requireSysAdmin(actor);
      return db
        .selectFrom("oidc_clients as c")
        .leftJoin("org_nodes as g", "g.id", "c.owner_agency_id")
        .select([
          "c.client_id",
          "c.name",
          "c.enabled",
          "c.grant_types",
          "c.created_at",
          "g.name as agency",
          (eb) =>
            eb
              .selectFrom("login_records as l")
              .select((e) => e.fn.max("l.at").as("m"))
              .whereRef("l.client_id", "=", "c.client_id")
              .where("l.result", "=", "success")
              .as("last_sign_in"),
        ])
        .orderBy("c.name")
        .limit(500)
        .execute();
    },

    detail: find,

    /** Successful and refused sign-ins for this system (methods sso and api), newest first. */
    async recentSignIns(actor: Actor, rawId: unknown) {
      const c = await find(actor, rawId);
      return db
        .selectFrom("login_records as l")
        .leftJoin("accounts as a", "a.id", "l.account_id")
        .select(["l.id", "l.at", "l.username", "l.method", "l.result", "l.ip", "a.name"])
        .where("l.client_id", "=", c.client_id)
        .orderBy("l.at", "desc")
        .orderBy("l.id", "desc")
        .limit(RECENT_SIGN_INS)
        .execute();
    },

    /**
     * Disabling refuses new authorizations and tokens at once (the provider reads clients
     * per request) and revokes what was issued, so refresh tokens stop working too.
     */
    async setEnabled(actor: Actor, rawId: unknown, enabled: boolean) {
      const c = await find(actor, rawId);
      const now = clock.now();
      await inTransaction(db, async (trx) => {
        await trx
          .updateTable("oidc_clients")
          .set({ enabled, disabled_at: enabled ? null : now, updated_at: now })
          .where("client_id", "=", c.client_id)
          .execute();
        if (!enabled) await revokeClientSso(trx, c.client_id);
        await writeAudit(trx, actor, now, {
          action: enabled ? "oidc_client.enable" : "oidc_client.disable",
          targetType: "oidc_client",
          targetId: c.client_id,
          detail: { name: c.name },
        });
      });
    },

    /** A new secret, returned once to the admin; the old one stops working at once. */
    async rotateSecret(actor: Actor, rawId: unknown): Promise<string> {
      const c = await find(actor, rawId);
      if (!c.confidential) throw new DomainError("invalid", "此系統未使用用戶端密鑰。");
      // The new secret and its audit row commit together.
      return inTransaction(db, async (trx) => {
        const secret = await rotateClientSecret(trx, c.client_id);
        if (!secret) throw notFound();
        await audit(trx, actor, "oidc_client.rotate_secret", c.client_id, { name: c.name });
        return secret;
      });
    },

    /**
     * Where the system hears of a sign-out (OpenID back-channel logout, ADR 0023): checked
     * like a callback address; only a system that signs users in can have one.
     */
    async setBackchannelLogout(actor: Actor, rawId: unknown, raw: BackchannelInput) {
      requireSysAdmin(actor); // before the form: anyone else learns nothing, not even its rules
      const { backchannelLogoutUri: uri } = parseInput(backchannelSchema, raw);
      const c = await find(actor, rawId);
      if (uri && !c.grant_types.includes("authorization_code")) {
        throw new DomainError("invalid", "此系統未使用授權碼登入，無法設定登出通知網址。", {
          backchannelLogoutUri: "此系統未使用授權碼登入",
        });
      }
      await inTransaction(db, async (trx) => {
        await trx
          .updateTable("oidc_clients")
          .set({ backchannel_logout_uri: uri, updated_at: clock.now() })
          .where("client_id", "=", c.client_id)
          .execute();
        await audit(trx, actor, "oidc_client.backchannel_logout", c.client_id, { backchannelLogoutUri: uri });
      });
    },

    /** IDN-8 transfer sign-in: where the system starts a sign-in, and whether consent is pre-approved. */
    async setTransfer(actor: Actor, rawId: unknown, raw: TransferInput) {
      requireSysAdmin(actor);
      const { initiateLoginUri: uri, preApproved } = parseInput(transferSchema, raw);
      const c = await find(actor, rawId);
      if (uri && !c.grant_types.includes("authorization_code")) {
        throw new DomainError("invalid", "此系統未使用授權碼登入，無法設定登入起始網址。", {
          initiateLoginUri: "此系統未使用授權碼登入",
        });
      }
      await inTransaction(db, async (trx) => {
        await trx
          .updateTable("oidc_clients")
          .set({ initiate_login_uri: uri, pre_approved: preApproved, updated_at: clock.now() })
          .where("client_id", "=", c.client_id)
          .execute();
        await audit(trx, actor, "oidc_client.transfer_settings", c.client_id, {
          initiateLoginUri: uri,
          preApproved,
        });
      });
    },
  };
}

export type ClientAdmin = ReturnType<typeof createClientAdmin>;
