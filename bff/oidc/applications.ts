import type { Database } from "../../db/index.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { queueMail } from "../notifications/mail.js";
import type { Clock } from "../ports/clock.js";
import { idOr404, parseInput } from "../validation.js";
import { APPLY_SCOPES, GRANT_LABELS, GRANT_TYPES, SCOPE_LABELS } from "./application-input.js";
import { registerClient } from "./clients.js";
import { decrypt, encrypt } from "./data-key.js";
import { inTransaction } from "../../db/transaction.js";
import {
  type ApplicationForm,
  applicationListQuery,
  type ApplicationListQuery,
  applicationSchema,
  type DecisionInput,
  decisionSchema,
} from "./schemas.js";

/**
 * How long an approved application's secret waits for the applicant. Unviewed by then, it
 * is gone; a system admin rotates the client's secret instead (shown to that admin once).
 */
const SECRET_REVEAL_DAYS = 7;

export interface ApplicationsDeps {
  db: Database;
  clock: Clock;
  dataKey: Buffer;
  officialMailDomain: string;
  baseUrl?: string;
}

/**
 * IDN-6 應用系統服務介接申請: any signed-in user applies for a system; a system admin
 * approves (the client is registered) or rejects, with a note; the applicant sees the new
 * client's secret exactly once.
 */
export function createSsoApplications(deps: ApplicationsDeps) {
  const { db, clock } = deps;

  async function agencies() {
    return db
      .selectFrom("org_nodes")
      .select(["id", "name"])
      .where("kind", "=", "agency")
      .where("active", "=", true)
      .orderBy("sort")
      .orderBy("id")
      .execute();
  }

  const listColumns = [
    "a.id",
    "a.system_name",
    "a.status",
    "a.created_at",
    "a.reviewed_at",
    "a.review_note",
    "a.client_id",
    "g.name as agency",
  ] as const;

  return {
    formOptions: async () => ({
      agencies: await agencies(),
      grantTypes: GRANT_TYPES.map((g) => ({ value: g, label: GRANT_LABELS[g] ?? g })),
      scopes: APPLY_SCOPES.map((s) => ({ value: s, label: SCOPE_LABELS[s] ?? s })),
    }),

    async apply(actor: Actor, raw: ApplicationForm): Promise<{ id: number }> {
      const agencyIds = new Set((await agencies()).map((a) => a.id));
      const input = parseInput(applicationSchema(agencyIds), raw, "申請資料有誤，請修正標示的欄位。");
      const now = clock.now();
      const row = await db
        .insertInto("sso_applications")
        .values({
          applicant_id: actor.accountId,
          system_name: input.systemName,
          owner_agency_id: input.ownerAgencyId,
          contact_name: input.contactName,
          contact_phone: input.contactPhone,
          contact_email: input.contactEmail,
          redirect_uris: JSON.stringify(input.redirectUris),
          post_logout_redirect_uri: input.postLogoutRedirectUri,
          initiate_login_uri: input.initiateLoginUri,
          backchannel_logout_uri: input.backchannelLogoutUri,
          grant_types: JSON.stringify(input.grantTypes),
          scopes: JSON.stringify(input.scopes),
          reason: input.reason,
          created_at: now,
          updated_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      return { id: row.id };
    },

    /** The applicant's own applications, newest first, and whether a secret waits for them. */
    async mine(actor: Actor) {
      const now = clock.now();
      const rows = await db
        .selectFrom("sso_applications as a")
        .innerJoin("org_nodes as g", "g.id", "a.owner_agency_id")
        .select([...listColumns, "a.secret_enc", "a.secret_expires_at", "a.secret_viewed_at"])
        .where("a.applicant_id", "=", actor.accountId)
        .orderBy("a.created_at", "desc")
        .orderBy("a.id", "desc")
        .limit(100)
        .execute();
      return rows.map(({ secret_enc, secret_expires_at, ...r }) => ({
        ...r,
        secretWaiting: secret_enc !== null && secret_expires_at !== null && secret_expires_at > now,
      }));
    },

    /**
     * Shows the new client's secret once: read and wiped in one transaction, so a second
     * look (or a second tab) finds nothing.
     */
    async revealSecret(actor: Actor, rawId: unknown): Promise<{ clientId: string; clientSecret: string }> {
      const id = idOr404(rawId);
      const now = clock.now();
      return inTransaction(db, async (trx) => {
        const row = await trx
          .selectFrom("sso_applications")
          .select(["id", "client_id", "secret_enc", "secret_expires_at"])
          .where("id", "=", id)
          .where("applicant_id", "=", actor.accountId)
          .forUpdate()
          .executeTakeFirst();
        if (!row) throw notFound();
        if (!row.secret_enc || !row.client_id || !row.secret_expires_at || row.secret_expires_at <= now) {
          throw new DomainError(
            "conflict",
            "用戶端密鑰已檢視過或已逾期，無法再次顯示；如需新密鑰，請聯絡系統管理者重新產生。",
          );
        }
        await trx
          .updateTable("sso_applications")
          .set({ secret_enc: null, secret_viewed_at: now, updated_at: now })
          .where("id", "=", id)
          .execute();
        await writeAudit(trx, actor, now, {
          action: "sso_application.secret_viewed",
          targetType: "sso_application",
          targetId: id,
          detail: { clientId: row.client_id },
        });
        return { clientId: row.client_id, clientSecret: decrypt(deps.dataKey, row.secret_enc) };
      });
    },

    async adminList(actor: Actor, raw: ApplicationListQuery = {}) {
      requireSysAdmin(actor);
      const { status } = parseInput(applicationListQuery, raw);
      let q = db
        .selectFrom("sso_applications as a")
        .innerJoin("org_nodes as g", "g.id", "a.owner_agency_id")
        .innerJoin("accounts as p", "p.id", "a.applicant_id")
        .select([...listColumns, "p.name as applicant"]);
      if (status) q = q.where("a.status", "=", status);
      return q.orderBy("a.created_at", "desc").orderBy("a.id", "desc").limit(200).execute();
    },

    /** Applications waiting for a decision (the 管理主控台's waiting count). */
    async pendingCount(actor: Actor): Promise<number> {
      requireSysAdmin(actor);
      const r = await db
        .selectFrom("sso_applications")
        .where("status", "=", "pending")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },

    async adminDetail(actor: Actor, rawId: unknown) {
      requireSysAdmin(actor);
      const id = idOr404(rawId);
      const row = await db
        .selectFrom("sso_applications as a")
        .innerJoin("org_nodes as g", "g.id", "a.owner_agency_id")
        .innerJoin("accounts as p", "p.id", "a.applicant_id")
        .leftJoin("accounts as r", "r.id", "a.reviewed_by")
        .select([
          ...listColumns,
          "a.contact_name",
          "a.contact_phone",
          "a.contact_email",
          "a.redirect_uris",
          "a.post_logout_redirect_uri",
          "a.initiate_login_uri",
          "a.backchannel_logout_uri",
          "a.grant_types",
          "a.scopes",
          "a.reason",
          "p.name as applicant",
          "p.username as applicantUsername",
          "r.name as reviewer",
        ])
        .where("a.id", "=", id)
        .executeTakeFirst();
      if (!row) throw notFound();
      return {
        ...row,
        redirect_uris: row.redirect_uris as string[],
        grant_types: row.grant_types as string[],
        scopes: row.scopes as string[],
      };
    },

    /**
     * 通過 registers the client (secret kept as a hash, and sealed for the applicant's one
     * look); 駁回 needs a note. Either way the applicant is mailed and the decision audited.
     */
    async decide(actor: Actor, rawId: unknown, raw: DecisionInput) {
      requireSysAdmin(actor); // before the form: anyone else learns nothing, not even its rules
      const parsed = parseInput(decisionSchema, raw);
      const { decision } = parsed;
      const note = parsed.note ?? "";
      const id = idOr404(rawId);
      const now = clock.now();
      return inTransaction(db, async (trx) => {
        const app = await trx
          .selectFrom("sso_applications")
          .selectAll()
          .where("id", "=", id)
          .forUpdate()
          .executeTakeFirst();
        if (!app) throw notFound();
        if (app.status !== "pending") throw new DomainError("conflict", "此申請已審核，無法再次審核。");
        let clientId: string | null = null;
        let secretEnc: string | null = null;
        if (decision === "approved") {
          const made = await registerClient(trx, {
            name: app.system_name,
            ownerAgencyId: app.owner_agency_id,
            redirectUris: app.redirect_uris as string[],
            postLogoutRedirectUris: app.post_logout_redirect_uri ? [app.post_logout_redirect_uri] : [],
            backchannelLogoutUri: app.backchannel_logout_uri,
            grantTypes: app.grant_types as string[],
            scopes: app.scopes as string[],
          });
          clientId = made.clientId;
          secretEnc = encrypt(deps.dataKey, made.clientSecret!);
          await trx
            .updateTable("oidc_clients")
            .set({ initiate_login_uri: app.initiate_login_uri })
            .where("client_id", "=", clientId)
            .execute();
        }
        await trx
          .updateTable("sso_applications")
          .set({
            status: decision,
            review_note: note,
            reviewed_by: actor.accountId,
            reviewed_at: now,
            client_id: clientId,
            secret_enc: secretEnc,
            secret_expires_at: secretEnc ? new Date(now.getTime() + SECRET_REVEAL_DAYS * 86_400_000) : null,
            updated_at: now,
          })
          .where("id", "=", id)
          .execute();
        await writeAudit(trx, actor, now, {
          action: decision === "approved" ? "sso_application.approve" : "sso_application.reject",
          targetType: "sso_application",
          targetId: id,
          detail: { systemName: app.system_name, note, clientId },
        });
        const to = (await mailAddresses(trx, [app.applicant_id], deps.officialMailDomain)).get(app.applicant_id);
        if (to) {
          const link = `${deps.baseUrl ?? ""}/sso/apply`;
          await queueMail(
            trx,
            now,
            {
              to,
              subject: `應用系統服務介接申請${decision === "approved" ? "已通過" : "已駁回"}：${app.system_name}`,
              text:
                decision === "approved"
                  ? `您申請的「${app.system_name}」已通過審核。\n用戶端識別碼：${clientId}\n請於 ${SECRET_REVEAL_DAYS} 天內登入公務入口網檢視用戶端密鑰（僅能檢視一次）：${link}\n${note ? `審核說明：${note}\n` : ""}`
                  : `您申請的「${app.system_name}」未通過審核。\n審核說明：${note}\n${link}\n`,
            },
            `sso-application:${id}:${decision}`,
          );
        }
        return { status: decision, clientId };
      });
    },
  };
}

export type SsoApplications = ReturnType<typeof createSsoApplications>;
