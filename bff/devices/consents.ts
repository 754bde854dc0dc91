import { sql } from "kysely";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { type FormInput, parseInput } from "../validation.js";
import type { DevicesDeps } from "./deps.js";
import { revokeConsentSchema } from "./schemas.js";

/** What each scope lets a system have, as a person reads it on 登入裝置與授權. */
export const CONSENT_SCOPE_LABELS: Record<string, string> = {
  openid: "確認您的身分（帳號識別碼）",
  profile: "姓名與帳號",
  email: "電子郵件",
  agency: "機關、單位與職稱",
  role: "入口網權限",
  offline_access: "您未登入時仍可存取（離線存取）",
  verify: "驗證帳號密碼",
};

interface GrantPayload {
  clientId?: string;
  iat?: number;
  openid?: { scope?: string };
}

const publicIdOf = (deps: DevicesDeps, accountId: number) =>
  deps.db
    .selectFrom("accounts")
    .select(sql<string>`public_id::text`.as("p"))
    .where("id", "=", accountId);

/** The live grants (remembered consent) of an account, optionally for one system. */
function grantsOf(deps: DevicesDeps, accountId: number, clientId?: string) {
  const now = deps.clock.now();
  let q = deps.db
    .selectFrom("oidc_payloads as p")
    .leftJoin("oidc_clients as c", (j) => j.on(sql<boolean>`c.client_id = p.payload->>'clientId'`))
    .select(["p.id", "p.payload", "c.name"])
    .where("p.model", "=", "Grant")
    .where(sql<string>`p.payload->>'accountId'`, "=", publicIdOf(deps, accountId))
    .where((eb) => eb.or([eb("p.expires_at", "is", null), eb("p.expires_at", ">", now)]));
  if (clientId !== undefined) q = q.where(sql<string>`p.payload->>'clientId'`, "=", clientId);
  return q.execute();
}

/** 已授權的系統: one entry per system, its scopes in zh-TW, when consent was last given. */
export async function myConsents(deps: DevicesDeps, actor: Actor) {
  const bySystem = new Map<string, { clientId: string; name: string; scopes: Set<string>; grantedAt: Date }>();
  for (const row of await grantsOf(deps, actor.accountId)) {
    const p = row.payload as GrantPayload;
    if (!p.clientId) continue;
    const entry = bySystem.get(p.clientId) ?? {
      clientId: p.clientId,
      name: row.name ?? p.clientId,
      scopes: new Set<string>(),
      grantedAt: new Date(0),
    };
    for (const s of (p.openid?.scope ?? "").split(" ").filter(Boolean)) entry.scopes.add(s);
    const at = new Date((p.iat ?? 0) * 1000);
    if (at > entry.grantedAt) entry.grantedAt = at;
    bySystem.set(p.clientId, entry);
  }
  return [...bySystem.values()]
    .map((e) => ({
      clientId: e.clientId,
      name: e.name,
      grantedAt: e.grantedAt,
      scopes: [...e.scopes].map((s) => ({ scope: s, label: CONSENT_SCOPE_LABELS[s] ?? s })),
    }))
    .sort((a, b) => a.name.localeCompare(b.name, "zh-Hant"));
}

/**
 * 撤銷授權: the system's grants for me go, with every token and code issued under them,
 * refresh tokens included, so its next refresh fails; its next sign-in asks
 * for consent again. One audit row.
 */
export async function revokeMyConsent(deps: DevicesDeps, actor: Actor, raw: FormInput<typeof revokeConsentSchema>) {
  const { clientId } = parseInput(revokeConsentSchema, raw);
  const grants = await grantsOf(deps, actor.accountId, clientId);
  if (grants.length === 0) throw new DomainError("conflict", "這個系統的授權已經撤銷。");
  const ids = grants.map((g) => g.id);
  const name = grants[0]!.name ?? clientId;
  await inTransaction(deps.db, async (trx) => {
    await trx
      .deleteFrom("oidc_payloads")
      // oidc-provider stamps every code and token with its grantId (indexed): no scan of tokens.
      .where((eb) => eb.or([eb.and([eb("model", "=", "Grant"), eb("id", "in", ids)]), eb("grant_id", "in", ids)]))
      .execute();
    await writeAudit(trx, actor, deps.clock.now(), {
      action: "oidc_grant.revoke",
      targetType: "oidc_client",
      targetId: clientId,
      detail: { name, accountId: actor.accountId },
    });
  });
  return { name };
}
